package readme

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// initEnv, when set, makes a test binary that calls MaybeInit act as the
// sandbox's init process; its value is the script to run.
const initEnv = "FLUVIO_README_SANDBOX_INIT"

// markerEnv is set in the host-mode script's environment so that the
// processes it leaves behind can be found (and stopped by PID).
const markerEnv = "FLUVIO_README_RUN"

// Run is one run of a script.
type Run struct {
	Script string    // path of the bash script
	Dir    string    // its working directory
	Env    []string  // its whole environment
	Out    io.Writer // its stdout and stderr
	// Host runs the script on the host's network instead of in namespaces.
	Host bool
}

// MaybeInit must be the first call of TestMain: in the sandbox's init
// process it runs the script and exits with its status; elsewhere it
// returns at once.
func MaybeInit() {
	script, ok := os.LookupEnv(initEnv)
	if !ok {
		return
	}
	os.Exit(sandboxInit(script))
}

// Start runs r and returns its exit error (nil for status 0). ctx bounds it:
// when ctx ends, every process of the run is killed.
func (r Run) Start(ctx context.Context) error {
	if r.Host {
		return r.runHost(ctx)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-test.run=^$")
	cmd.Dir = r.Dir
	cmd.Env = append(slices.Clone(r.Env), initEnv+"="+r.Script)
	cmd.Stdout, cmd.Stderr = r.Out, r.Out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	}
	// Killing the init (PID 1 of the namespace) kills every process in it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %w", ErrNoSandbox, err)
	}
	err = cmd.Wait()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && ee.ExitCode() == exitSetupFailed {
		return fmt.Errorf("%w: the namespace's init could not set it up (see its message above)", ErrNoSandbox)
	}
	return err
}

// exitSetupFailed is the init's exit code when it cannot set the sandbox
// up (mount /proc, loopback): not the script's.
const exitSetupFailed = 97

// ErrNoSandbox is returned when the namespaces cannot be created.
var ErrNoSandbox = errors.New("cannot create the private network/PID namespaces (user namespaces not allowed here?); set FLUVIO_README_HOST=1 to run on the host's loopback where nothing else uses the README's ports")

// sandboxInit is PID 1 of the namespaces: a private /proc, loopback up,
// then bash script, reaping every orphan until bash exits. Its exit ends
// the namespace and kills whatever the script left running.
func sandboxInit(script string) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "readme sandbox: %v\n", err)
		return exitSetupFailed
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fail(fmt.Errorf("make mounts private: %w", err))
	}
	if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fail(fmt.Errorf("mount /proc: %w", err))
	}
	if err := loopbackUp(); err != nil {
		return fail(fmt.Errorf("bring loopback up: %w", err))
	}
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, initEnv+"=") {
			env = append(env, kv)
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		return fail(err)
	}
	p, err := os.StartProcess(bash, []string{"bash", script}, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{nil, os.Stdout, os.Stderr},
	})
	if err != nil {
		return fail(err)
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("wait: %w", err))
		}
		if pid != p.Pid {
			continue // an orphan the script started
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

// loopbackUp sets the IFF_UP flag of "lo" (a new network namespace starts
// with it down).
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr [40]byte // struct ifreq: name[16], then the flags (short)
	copy(ifr[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	flags := (*uint16)(unsafe.Pointer(&ifr[16]))
	*flags |= syscall.IFF_UP
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	return nil
}

// runHost runs the script on the host, then stops by PID every process
// that carries this run's marker in its environment.
func (r Run) runHost(ctx context.Context) error {
	token := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(os.Getpid())
	bash, err := exec.LookPath("bash")
	if err != nil {
		return err
	}
	// Our own pipe: the processes the script leaves behind hold its write
	// end until stopMarked stops them, and Wait must not wait for them.
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(r.Out, pr)
		pr.Close()
	}()
	cmd := exec.CommandContext(ctx, bash, r.Script)
	cmd.Dir = r.Dir
	cmd.Env = append(slices.Clone(r.Env), markerEnv+"="+token)
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Run()
	pw.Close()
	stopMarked(markerEnv + "=" + token)
	select {
	case <-copied:
	case <-time.After(10 * time.Second):
		pr.Close() // a process that escaped the marker still holds the pipe
		<-copied
	}
	return err
}

// stopMarked sends SIGTERM, then SIGKILL after 5 s, to every process whose
// environment holds marker.
func stopMarked(marker string) {
	pids := marked(marker)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(marked(marker)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, pid := range marked(marker) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func marked(marker string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for kv := range bytes.SplitSeq(env, []byte{0}) {
			if string(kv) == marker {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
