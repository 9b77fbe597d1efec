package attack

// All is every case, in report order.
func All() []Case {
	var out []Case
	for _, group := range [][]Case{
		pathCases(), swapCases(), nameCases(), urlNameCases(), overwriteCases(), playlistCases(),
		ssrfCases(), urlCases(), httpCases(), parallelCases(), sessionCases(), limitCases(),
		cancelCases(), crashCases(), errorCases(), annotationCases(),
	} {
		out = append(out, group...)
	}
	return out
}
