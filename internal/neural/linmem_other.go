//go:build !linux

package neural

// mapMemory is only implemented on Linux; elsewhere linear memory lives on
// the Go heap.
func mapMemory(capacity, maximum uint64) linearMemory { return nil }
