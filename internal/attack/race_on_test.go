//go:build race

package attack_test

// raceOn: the server binary is built with the race detector too.
const raceOn = true
