// Package neural runs neural speech denoisers (GTCRN and RNNoise) from the
// WebAssembly builds that npm packages ship, under the pure-Go wazero
// runtime (compiler, compiled modules cached per Pool and on disk).
//
// Models are installed once with [Install] (npm into a models folder, see
// [DefaultDir]); at run time nothing is downloaded and every file is checked
// against the sha256 pinned in [Manifest] before it is loaded.
//
// [Pool.Denoise] streams 48 kHz mono float32 samples through a model in
// 480 ms blocks: memory stays flat (one wasm instance of about 17 MiB per
// model and a few buffers under 1 MiB per call) whatever the input length. The models' delay
// (GTCRN 890 samples, RNNoise 480) is compensated: output sample i is the
// denoised input sample i, and as many samples come out as went in.
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
//	go test -run X -bench Denoise ./internal/neural/
//
// The tests find the models in AUDIOEDIT_MODELS_DIR or <module root>/.models
// and skip without them (fail when CI is set): run `make models`.
package neural
