package cli

// groupExamples are the Examples sections of the command groups' help
// (groupUsage), keyed by the group's path. Each leaf command has its own
// in its help{Examples}.
var groupExamples = map[string]string{
	"fluvio cluster": `fluvio cluster start --spu 3          # a local cluster: sc-server and 3 spu-servers
  fluvio cluster status                 # processes, logs, /metrics /livez /readyz URLs
  fluvio cluster check                  # NATS, JetStream KV, SC and SPUs answer
  fluvio cluster stop                   # stop, keep the data
  fluvio cluster delete --force         # stop and remove everything`,
	"fluvio cluster spu": `fluvio cluster spu list
  fluvio cluster spu register --id 5010 --public-server 127.0.0.1:9010 --private-server 127.0.0.1:9011
  fluvio cluster spu unregister --id 5010`,
	"fluvio custom-spu": `fluvio custom-spu register --id 200 --public-server 127.0.0.1:9005 --private-server 127.0.0.1:9006
  spu-server --id 200 --sc-controller 127.0.0.1:9004     # then run it (the SC's private port)
  fluvio custom-spu list
  fluvio custom-spu unregister --id 200`,
	"fluvio consumer": `fluvio consumer list
  fluvio consumer list -O json
  fluvio consumer delete billing --topic orders --partition 0`,
	"fluvio partition": `fluvio partition list
  fluvio partition list --topic orders -O json`,
	"fluvio profile": `fluvio profile list
  fluvio profile add staging --sc 10.0.0.5:9003
  fluvio profile switch staging
  fluvio profile current`,
	"fluvio spu": `fluvio spu list
  fluvio spu list -O yaml`,
	"fluvio topic": `fluvio topic create orders -p 3 -r 2
  fluvio topic list
  fluvio topic describe orders
  fluvio topic delete orders`,
}
