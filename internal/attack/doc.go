// Package attack is the hostile-input suite of issue 8: it drives the real
// mcp-audioedit binary from the outside, over stdio and streamable HTTP, as
// an attacker would, and checks after every attack that nothing was read
// or written outside the roots and that no input changed.
//
// Each case runs in its own sandbox (a temp folder tree):
//
//	<dir>/root/        the only root (AUDIOEDIT_ROOTS)
//	<dir>/root/in/     inputs, checksummed before and after
//	<dir>/root/data/   the data folder (inside the root, as by default)
//	<dir>/root/out/    the output folder
//	<dir>/outside/     canaries: checksummed, their access times set in the
//	                   past so that any read moves them; nothing may appear
//	<dir>/tmp/         the server's TMPDIR
//
// A case returns nil when the attack held and an error saying what got
// through otherwise. The same cases run as Go test assertions
// (attack_test.go) and in the generator of docs/RELIABILITY.md
// (cmd/reliability). Network attacks only ever target listeners the
// suite itself starts on 127.0.0.1; private and metadata addresses are
// only given to the server's URL guard, which must refuse them before
// connecting.
package attack
