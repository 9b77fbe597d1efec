//go:build linux

package neural

import (
	"math/bits"
	"syscall"
)

// mmapMemory is a wasm linear memory outside the Go heap: the module's
// maximum size is reserved as address space (PROT_NONE, no swap reserved)
// and made read-write as the module grows. Pages cost resident memory
// only once touched: GTCRN's and RNNoise's emscripten builds start with
// 16-17 MiB of linear memory of which they touch a few MiB, and the Go
// heap no longer counts (and the GC no longer paces itself on) the rest.
// Free unmaps the whole reservation at once.
type mmapMemory struct {
	res  []byte // the whole reservation
	size uint64 // bytes made read-write
}

// mapMemory returns an off-heap memory, or nil when the address space
// cannot be reserved (a 32-bit process has too little of it).
func mapMemory(capacity, maximum uint64) linearMemory {
	n := max(capacity, maximum)
	if n == 0 || n > 1<<32 || bits.UintSize < 64 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &mmapMemory{res: b}
}

// Reallocate implements experimental.LinearMemory. The address never
// changes.
func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.res)) {
		return nil
	}
	if size > m.size {
		if err := syscall.Mprotect(m.res[m.size:size], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			return nil
		}
		m.size = size
	}
	return m.res[:size:size]
}

// Free implements experimental.LinearMemory.
func (m *mmapMemory) Free() {
	if m.res != nil {
		_ = syscall.Munmap(m.res)
		m.res, m.size = nil, 0
	}
}

// zero makes every byte of the memory zero, giving its pages back to the
// kernel: they read as zero and cost nothing until touched again.
func (m *mmapMemory) zero() {
	if m.size == 0 {
		return
	}
	if syscall.Madvise(m.res[:m.size], syscall.MADV_DONTNEED) != nil {
		clear(m.res[:m.size])
	}
}
