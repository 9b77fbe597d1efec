// Package neural runs neural speech denoisers (GTCRN and RNNoise) from the
// WebAssembly builds that npm packages ship, under the pure-Go wazero
// runtime (compiler, compiled modules cached per Pool and on disk).
//
// Models are installed once with [Install] (npm into a models folder, see
// [DefaultDir]); at run time nothing is downloaded and every file is checked
// against the sha256 pinned in [Manifest] before it is loaded.
//
// [Pool.Denoise] streams 48 kHz mono float32 samples through a model. The
// models' delay (GTCRN 890 samples, RNNoise 480) is compensated: output
// sample i is the denoised input sample i, and as many samples come out as
// went in. To use every core on one stream, the input is cut into 10 s
// blocks on a fixed grid that up to min(GOMAXPROCS, 4) goroutines denoise
// at once, each in its own module instance restored to its fresh state and
// started 2 s before its block (warm-up audio whose output is dropped);
// blocks are written in order, crossfaded over 20 ms. The grid does not
// depend on the cores or on scheduling, so the output is deterministic, and
// an input of one block (10 s) comes out exactly as the sequential stream
// would give it. On 2 shared cores this made 60 s of speech 1.3x faster
// for "gtcrn" (which already ran its RNNoise blend alongside), 1.4x for
// GTCRN alone and 1.5x for RNNoise; the mean SI-SDR moved by -0.02, -0.00
// and +0.03 dB against the sequential stream on the measurement set
// (TestChunkedQuality). Memory stays flat whatever the input length: one
// wasm instance per worker and model, whose 16-17 MiB linear memory lives
// outside the Go heap on Linux and costs only the pages the model touches
// (a task resets it by handing its pages back to the kernel and copying in
// the model's fresh state, about 0.2 MiB kept per Pool), and about 6 MiB
// of buffers per block in flight (workers+1 blocks). SpeechProb runs the sequential stream.
//
// Model "gtcrn" outputs 0.7*GTCRN + 0.3*RNNoise when both are installed
// (see [RNNoiseBlend]): on the measurement set of docs/audio-notes.md
// (testmedia speech with white, pink, hum, fan and babble noise at 0/5/10
// dB SNR) this gave a mean SI-SDR improvement of +8.5 dB against +8.2 for
// GTCRN alone, and kept babble from getting worse at 0 dB SNR.
//
// Run the full measurement with
//
//	AUDIOEDIT_NEURAL_FULL=1 go test -v -run TestQuality ./internal/neural/
//	AUDIOEDIT_NEURAL_FULL=1 go test -v -run TestChunkedQuality ./internal/neural/
//	go test -run X -bench Denoise ./internal/neural/
//
// The tests find the models where the binary does with no settings
// (DefaultDir: AUDIOEDIT_MODELS_DIR, else ~/.cache/mcp-audioedit/models) and
// skip without them (fail when CI is set): run `make models`.
package neural
