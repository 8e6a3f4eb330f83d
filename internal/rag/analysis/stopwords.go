package analysis

import "strings"

// IsStopWord reports whether a lower-cased word is dropped from index
// terms and questions.
func IsStopWord(w string) bool { return stopWords[w] }

// stopWords are dropped from index terms and questions.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are as at be because been
		before being below between both but by can could did do does doing down during each few for from further had
		has have having he her here hers herself him himself his how i if in into is it its itself just me more most
		my myself no nor not of off on once only or other our ours ourselves out over own same she should so some such
		than that the their theirs them themselves then there these they this those through to too under until up
		very was we were what when where which while who whom why will with would you your yours yourself yourselves
		s t also said says say tell told much many did does ago per whose yet happen happened happens happening news`) {
		m[w] = true
	}
	return m
}()
