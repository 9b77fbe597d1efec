package neural

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// abi names the exports of one emscripten build. The GTCRN build is
// minified; the names come from the package's dist/gtcrn/workletProcessor.js
// (function V: _gtcrn_create=e.e, _free=e.f, _gtcrn_destroy=e.g,
// _gtcrn_process_48k=e.j, _malloc=e.k; y(): U.d() runs the constructors;
// imports {a: {a: __assert_fail, b: emscripten_resize_heap}}).
type abi struct {
	ctors      string
	stackInit  string // "" when the build has none
	create     string
	createArgs []uint64
	destroy    string
	process    string // (state, in, out) for GTCRN; (state, out, in) -> f32 for RNNoise
	swapInOut  bool
	malloc     string
	free       string
	frame      int     // samples per frame at 48 kHz
	scale      float32 // input multiplier (output is divided by it)
	latency    int     // samples the output lags the input, measured
}

var abis = map[Model]abi{
	GTCRN: {
		ctors:   "d",
		create:  "e",
		destroy: "g",
		process: "j",
		malloc:  "k",
		free:    "f",
		frame:   768,
		scale:   1,
		latency: gtcrnLatency,
	},
	RNNoise: {
		ctors:      "__wasm_call_ctors",
		stackInit:  "emscripten_stack_init",
		create:     "rnnoise_create",
		createArgs: []uint64{0}, // built-in model
		destroy:    "rnnoise_destroy",
		process:    "rnnoise_process_frame",
		swapInOut:  true,
		malloc:     "malloc",
		free:       "free",
		frame:      480,
		scale:      32768,
		latency:    rnnoiseLatency,
	},
}

// Latencies measured by cross-correlating clean input and output
// (TestAlignment checks them to within 1 ms).
const (
	gtcrnLatency   = 890
	rnnoiseLatency = 480
)

// engine is one runtime and its compiled models; safe for concurrent use.
type engine struct {
	rt wazero.Runtime
}

// processCache is the in-memory fallback when no file cache can be made:
// shared by every Pool, so a model is compiled once per process.
var processCache = wazero.NewCompilationCache()

// newEngine makes a compiler runtime with a compilation cache on disk
// (<user cache>/mcp-audioedit/wazero, so later processes skip the compile)
// and the emscripten host modules. It does not
// set WithCloseOnContextDone: that made GTCRN 10x slower here, and the
// stream checks the context between frames (a frame takes ~2 ms).
func newEngine(ctx context.Context) (*engine, error) {
	cache := processCache
	if d, err := os.UserCacheDir(); err == nil && d != "" {
		if c, err := wazero.NewCompilationCacheWithDir(filepath.Join(d, "mcp-audioedit", "wazero")); err == nil {
			cache = c
		}
	}
	cfg := wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	e := &engine{rt: rt}
	for _, name := range []string{"env", "a"} {
		if err := e.hostModule(ctx, name); err != nil {
			_ = rt.Close(ctx)
			return nil, err
		}
	}
	return e, nil
}

// hostModule provides the three emscripten imports the builds need, under
// the plain names ("env") and the minified ones ("a").
func (e *engine) hostModule(ctx context.Context, name string) error {
	// Plain api.GoModuleFunc, not reflection: RNNoise calls memcpy_big
	// several times per frame.
	assertFail := api.GoModuleFunc(func(_ context.Context, m api.Module, st []uint64) {
		panic(fmt.Errorf("wasm assertion failed: %s at %s:%d in %s",
			cString(m, uint32(st[0])), cString(m, uint32(st[1])), uint32(st[2]), cString(m, uint32(st[3]))))
	})
	resizeHeap := api.GoModuleFunc(func(_ context.Context, m api.Module, st []uint64) {
		mem := m.Memory()
		want := (st[0]&0xffffffff + 65535) / 65536
		have := uint64(mem.Size()) / 65536
		st[0] = 1
		if want > have {
			if _, ok := mem.Grow(uint32(want - have)); !ok {
				st[0] = 0
			}
		}
	})
	memcpyBig := api.GoModuleFunc(func(_ context.Context, m api.Module, st []uint64) {
		dst, src, n := uint32(st[0]), uint32(st[1]), uint32(st[2])
		mem := m.Memory()
		d, ok1 := mem.Read(dst, n)
		s, ok2 := mem.Read(src, n)
		if !ok1 || !ok2 {
			panic(errors.New("wasm memcpy out of range"))
		}
		copy(d, s)
		st[0] = uint64(dst)
	})
	i32 := api.ValueTypeI32
	fns := map[string]struct {
		fn          api.GoModuleFunc
		params, res []api.ValueType
	}{
		"__assert_fail":          {assertFail, []api.ValueType{i32, i32, i32, i32}, nil},
		"emscripten_resize_heap": {resizeHeap, []api.ValueType{i32}, []api.ValueType{i32}},
		"emscripten_memcpy_big":  {memcpyBig, []api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	}
	names := map[string]string{"__assert_fail": "__assert_fail", "emscripten_resize_heap": "emscripten_resize_heap", "emscripten_memcpy_big": "emscripten_memcpy_big"}
	if name == "a" {
		names = map[string]string{"__assert_fail": "a", "emscripten_resize_heap": "b"}
	}
	b := e.rt.NewHostModuleBuilder(name)
	for fn, export := range names {
		f := fns[fn]
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.res).WithName(fn).Export(export)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasm host module %s: %w", name, err)
	}
	return nil
}

func cString(m api.Module, p uint32) string {
	mem := m.Memory()
	var s []byte
	for i := uint32(0); i < 512; i++ {
		c, ok := mem.ReadByte(p + i)
		if !ok || c == 0 {
			break
		}
		s = append(s, c)
	}
	return string(s)
}

// compile checks and compiles model m's wasm bytes.
func (e *engine) compile(ctx context.Context, m Model, info Info, path string, b []byte) (wazero.CompiledModule, error) {
	cm, err := e.rt.CompileModule(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not a valid wasm module (%v): %w; to reinstall, %s", m, path, err, ErrChecksum, InstallHint)
	}
	a := abis[m]
	exp := cm.ExportedFunctions()
	for _, n := range []string{a.ctors, a.create, a.destroy, a.process, a.malloc, a.free, a.stackInit} {
		if n == "" {
			continue
		}
		if _, ok := exp[n]; !ok {
			_ = cm.Close(ctx)
			return nil, fmt.Errorf("%s: %s (%s@%s) lacks export %q; to reinstall, %s", m, path, info.Package, info.Version, n, InstallHint)
		}
	}
	return cm, nil
}

// instance is one model state in its own wasm module instance. It is not
// safe for concurrent use.
type instance struct {
	a       abi
	mod     api.Module
	mem     api.Memory
	lm      linearMemory // mem's backing store
	process api.Function
	state   uint32
	in, out uint32
	stack   []uint64
}

func (e *engine) instantiate(ctx context.Context, m Model, cm wazero.CompiledModule) (*instance, error) {
	a := abis[m]
	var lm linearMemory
	alloc := experimental.MemoryAllocatorFunc(func(capacity, maximum uint64) experimental.LinearMemory {
		lm = newLinearMemory(capacity, maximum)
		return lm
	})
	mod, err := e.rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, alloc), cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("%s: instantiate: %w", m, err)
	}
	in := &instance{a: a, mod: mod, mem: mod.Memory(), lm: lm, process: mod.ExportedFunction(a.process), stack: make([]uint64, 3)}
	fail := func(err error) (*instance, error) {
		_ = mod.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s: init: %w", m, err)
	}
	if in.mem == nil || in.lm == nil {
		return fail(errors.New("module has no memory"))
	}
	if a.stackInit != "" {
		if _, err := mod.ExportedFunction(a.stackInit).Call(ctx); err != nil {
			return fail(err)
		}
	}
	if _, err := mod.ExportedFunction(a.ctors).Call(ctx); err != nil {
		return fail(err)
	}
	r, err := mod.ExportedFunction(a.create).Call(ctx, a.createArgs...)
	if err != nil || r[0] == 0 {
		return fail(fmt.Errorf("create state: %v", err))
	}
	in.state = uint32(r[0])
	malloc := mod.ExportedFunction(a.malloc)
	for _, p := range []*uint32{&in.in, &in.out} {
		r, err := malloc.Call(ctx, uint64(a.frame*4))
		if err != nil || r[0] == 0 {
			return fail(fmt.Errorf("malloc: %v", err))
		}
		*p = uint32(r[0])
	}
	return in, nil
}

// run denoises one frame of len a.frame: src in, dst out. It returns the
// model's voice probability where it has one (RNNoise), else -1.
func (in *instance) run(ctx context.Context, src, dst []float32) (float32, error) {
	n := uint32(in.a.frame * 4)
	buf, ok := in.mem.Read(in.in, n)
	if !ok {
		return 0, errors.New("wasm input buffer out of range")
	}
	sc := in.a.scale
	for i, v := range src {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v*sc))
	}
	in.stack[0] = uint64(in.state)
	if in.a.swapInOut {
		in.stack[1], in.stack[2] = uint64(in.out), uint64(in.in)
	} else {
		in.stack[1], in.stack[2] = uint64(in.in), uint64(in.out)
	}
	if err := in.process.CallWithStack(ctx, in.stack); err != nil {
		return 0, err
	}
	vad := float32(-1)
	if in.a.swapInOut {
		vad = api.DecodeF32(in.stack[0])
	}
	buf, ok = in.mem.Read(in.out, n) // memory may have grown: read again
	if !ok {
		return 0, errors.New("wasm output buffer out of range")
	}
	inv := 1 / sc
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])) * inv
	}
	return vad, nil
}

func (in *instance) close(ctx context.Context) {
	// Closing the module frees its memory; the model's own destroy/free
	// would only tidy a heap that is about to go.
	_ = in.mod.Close(context.WithoutCancel(ctx))
}
