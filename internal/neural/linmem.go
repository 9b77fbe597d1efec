package neural

import "github.com/tetratelabs/wazero/experimental"

// linearMemory is a model instance's wasm linear memory. The pool gives
// wazero its own allocator (see newLinearMemory) so that a chunk task can
// return an instance to its fresh state cheaply (zero, then the
// snapshot's few non-zero pages) and, on Linux, so that the memory lives
// outside the Go heap (see mmapMemory).
type linearMemory interface {
	experimental.LinearMemory
	// zero sets every byte to zero.
	zero()
}

// newLinearMemory returns an off-heap memory where the platform has one
// (mapMemory), else one on the Go heap.
func newLinearMemory(capacity, maximum uint64) linearMemory {
	if m := mapMemory(capacity, maximum); m != nil {
		return m
	}
	return &sliceMemory{b: make([]byte, 0, capacity)}
}

// sliceMemory is a linear memory on the Go heap, as wazero's own.
type sliceMemory struct{ b []byte }

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if n := uint64(len(m.b)); size > n {
		m.b = append(m.b, make([]byte, size-n)...)
	}
	return m.b[:size:size]
}

func (m *sliceMemory) Free() { m.b = nil }

func (m *sliceMemory) zero() { clear(m.b) }
