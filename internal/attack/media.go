package attack

import (
	"encoding/binary"
	"math"
)

// ToneWAV is a 16-bit mono PCM WAV file: a sine at freq Hz, seconds long,
// at rate samples per second.
func ToneWAV(seconds float64, rate int, freq float64) []byte {
	n := int(seconds * float64(rate))
	pcm := make([]byte, 2*n)
	for i := range n {
		v := 0.3 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(v*32767)))
	}
	return WAV(rate, 1, pcm, uint32(len(pcm)))
}

// WAV wraps 16-bit PCM in a RIFF header whose data chunk claims
// dataSize bytes (which need not be the truth: a lying header is an
// attack).
func WAV(rate, channels int, pcm []byte, dataSize uint32) []byte {
	le := binary.LittleEndian
	h := make([]byte, 44, 44+len(pcm))
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], 36+dataSize)
	copy(h[8:], "WAVE")
	copy(h[12:], "fmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 1)
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*2))
	le.PutUint16(h[32:], uint16(channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataSize)
	return append(h, pcm...)
}
