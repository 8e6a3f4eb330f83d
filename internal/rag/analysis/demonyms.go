package analysis

import "strings"

// demonyms maps the adjective or people of a country or region, as news
// writes them, to its name.
var demonyms = func() map[string]string {
	m := map[string]string{}
	for _, pair := range strings.Fields(`russian:russia chinese:china ukrainian:ukraine japanese:japan indian:india
		german:germany french:france british:britain iranian:iran iraqi:iraq israeli:israel syrian:syria
		turkish:turkey korean:korea pakistani:pakistan afghan:afghanistan egyptian:egypt brazilian:brazil
		mexican:mexico canadian:canada italian:italy spanish:spain dutch:netherlands swiss:switzerland
		swedish:sweden norwegian:norway finnish:finland danish:denmark greek:greece european:europe
		african:africa asian:asia kazakh:kazakhstan mongolian:mongolia vietnamese:vietnam
		indonesian:indonesia belarusian:belarus georgian:georgia venezuelan:venezuela cuban:cuba
		argentine:argentina argentinian:argentina australian:australia taiwanese:taiwan serbian:serbia
		hungarian:hungary romanian:romania bulgarian:bulgaria czech:czechia austrian:austria
		belgian:belgium portuguese:portugal irish:ireland scottish:scotland nigerian:nigeria
		kenyan:kenya ethiopian:ethiopia saudi:saudi emirati:emirates qatari:qatar kuwaiti:kuwait
		libyan:libya algerian:algeria moroccan:morocco tunisian:tunisia sudanese:sudan
		thai:thailand malaysian:malaysia filipino:philippines singaporean:singapore burmese:myanmar
		uzbek:uzbekistan kyrgyz:kyrgyzstan tajik:tajikistan turkmen:turkmenistan armenian:armenia
		azerbaijani:azerbaijan chilean:chile colombian:colombia peruvian:peru`) {
		adj, country, _ := strings.Cut(pair, ":")
		m[adj] = country
		if !strings.HasSuffix(adj, "ese") && !strings.HasSuffix(adj, "ish") && !strings.HasSuffix(adj, "ch") && !strings.HasSuffix(adj, "ss") {
			m[adj+"s"] = country // "Russians", "Afghans"
		}
	}
	return m
}()

// IsDemonym reports whether w (lower-cased) is the adjective or people of
// a country or region: "swedish", "russians".
func IsDemonym(w string) bool {
	_, ok := demonyms[w]
	return ok
}
