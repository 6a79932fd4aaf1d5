package sc

// ElectionPasses returns how many election passes the SC has run, so
// that a test can wait for one instead of sleeping past the hold.
func (s *Server) ElectionPasses() int64 { return s.electPasses.Load() }
