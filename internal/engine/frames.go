package engine

// frameSplitter hands whole sample frames (interleaved float32 samples,
// fb bytes a frame) to a callback, carrying a partial frame from one write
// to the next: pipes deliver bytes in arbitrary chunks.
type frameSplitter struct {
	carry []byte
}

// split calls fn with the whole frames of carry+p and keeps the rest.
func (s *frameSplitter) split(p []byte, fb int, fn func([]byte) error) error {
	if len(s.carry) > 0 {
		need := fb - len(s.carry)
		if len(p) < need {
			s.carry = append(s.carry, p...)
			return nil
		}
		s.carry = append(s.carry, p[:need]...)
		if err := fn(s.carry); err != nil {
			return err
		}
		s.carry = s.carry[:0]
		p = p[need:]
	}
	whole := len(p) / fb * fb
	if err := fn(p[:whole]); err != nil {
		return err
	}
	s.carry = append(s.carry, p[whole:]...)
	return nil
}
