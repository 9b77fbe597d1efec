//go:build race

package main

// raceEnabled: the test binary runs under the race detector, so the
// server binary the parallel test starts is built with it too.
const raceEnabled = true
