//go:build !race

package attack_test

const raceOn = false
