package answer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/retrieve"
)

func TestQuestionCue(t *testing.T) {
	tests := []struct {
		question string
		kind     cueKind
		org      bool
	}{
		{"how much did existing home sales drop?", cueQuantity, false},
		{"what did Magma Copper cut its cathode price to yesterday?", cueQuantity, false},
		{"NatWest trimmed its base rate on March 9 - to what?", cueQuantity, false},
		{"what is Cablevision Industries paying for Valley Cable TV?", cueQuantity, false},
		{"when is France expected to privatise CGE?", cueTime, false},
		{"who won the Greenwich by-election?", cuePerson, false},
		{"which former Reagan aide was indicted on Wednesday?", cuePerson, false},
		{"which company distributes the Gynex pills?", cuePerson, true},
		{"whose counter-offer made SAS put its order on hold?", cuePerson, true},
		{"where is Heublein moving Almaden's wine production?", cuePlace, false},
		{"which German town's aluminium smelter is Alcan closing?", cuePlace, false},
		{"what shut Alexandria port yesterday?", cueNone, false},
		{"what's the new British gold bullion coin called?", cueName, false},
		{"why did the World Bank halt lending to Peru?", cueReason, false},
	}
	for _, tt := range tests {
		got := questionCue(tt.question)
		if got.kind != tt.kind || got.org != tt.org {
			t.Errorf("questionCue(%q) = %+v, want kind %d org %v", tt.question, got, tt.kind, tt.org)
		}
	}
}

func TestShortFrom(t *testing.T) {
	an := analysis.NewIndex()
	tests := []struct {
		question, sentence, want string
	}{
		{"how much did durable goods orders fall in January?",
			"Orders for durable goods fell 7.5 pct in January, after a 0.9 pct rise in December, the Commerce Department said.", "7.5 pct"},
		{"how much is Williams Holdings bidding for Norcros?",
			"Williams Holdings Plc said it would bid 542.2 mln stg for Norcros Plc.", "542.2 mln stg"},
		{"who won the Greenwich by-election?",
			"Rosie Barnes of the Social Democratic Party won the Greenwich by-election by 6,611 votes.", "Rosie Barnes"},
		{"who was the Italian prime minister that resigned yesterday?",
			"Prime Minister Bettino Craxi handed his resignation to President Francesco Cossiga.", "Bettino Craxi"},
		// The subject of the question's verb, followed by the word after it.
		{"who agreed to buy American Motors?",
			"Early last week, Chrysler said it agreed to buy the stake owned by Regie Nationale des Usines Renault in American Motors.", "Chrysler"},
		{"who runs the Commerce Department?",
			"U.S. Secretary of Commerce Malcolm Baldrige said exports rose.", "Malcolm Baldrige"},
		{"who runs the Commerce Department?",
			"U.S. Secretary of Commerce Malcolm Baldrige said exports rose.", "Malcolm Baldrige"},
		{"which company distributes the Gynex pills that were recalled?",
			"The pills, made by Gynex Inc, are distributed by Monsanto Co, the company said.", "Monsanto Co"},
		{"which American brewer has joined the bidding for San Miguel shares?",
			"Anheuser-Busch Cos Inc (BUD.N) has joined the bidding for San Miguel shares.", "Anheuser-Busch Cos Inc"},
		{"when do GM's contract talks with the UAW start?",
			"GM said its contract talks with the UAW will start on July 27, as in 1984.", "July 27"},
		{"how many cars did Yugo sell in its record month?",
			"Yugo America said it sold 5,059 cars in March, its record month.", "5,059"},
		// What the question already says is not its answer.
		{"how much did Coastal pay for the two billion dlrs pipeline?",
			"Coastal paid two billion dlrs for the pipeline.", ""},
		{"why did Icahn pull his bid?", "Icahn pulled his bid on Tuesday.", ""},
	}
	for _, tt := range tests {
		k := questionCue(tt.question)
		got, _ := k.shortFrom(an, tt.sentence, tt.question, toSet(an.Terms(nil, tt.question)))
		if k.kind == cueReason {
			got = "" // reasons get no short answer (shorten skips them)
		}
		if got != tt.want {
			t.Errorf("short answer of %q in %q = %q, want %q", tt.question, tt.sentence, got, tt.want)
		}
	}
}

// question builds an answerer's question with every term weighing the
// same, each in some chunk of the corpus but those of unknown.
func question(an *analysis.Analyzer, text string, unknown ...string) Question {
	terms := an.Terms(nil, text)
	idf := retrieve.Weights{}
	for _, t := range terms {
		idf[t] = 1
	}
	for _, u := range unknown {
		for _, t := range an.Terms(nil, u) {
			idf[t] = 2
		}
	}
	return Question{Text: text, Query: text, Terms: terms, IDF: idf, MaxIDF: 2}
}

func passage(an *analysis.Analyzer, q Question, id, title, text string) retrieve.Passage {
	p := retrieve.Passage{ChunkID: id + "#0", ArticleID: id, Title: title, Date: time.Date(1987, 3, 2, 0, 0, 0, 0, time.UTC), Text: text, Score: 1}
	p.Coverage = retrieve.Coverage(q.weights(), an.Terms(nil, title+"\n"+text))
	return p
}

func TestExtractiveShortAnswer(t *testing.T) {
	an := analysis.NewIndex()
	ex := NewExtractive()
	tests := []struct {
		name, question, title, text string
		// short is the short answer wanted ("" for none), found whether
		// the corpus is taken to answer.
		short string
		found bool
		// lacks is text the answer must not hold, note what its note must;
		// unknown are words in no chunk of the corpus.
		lacks, note, unknown string
	}{
		{name: "from the best sentence", question: "who did Reagan pick for CIA director?", title: "Reagan names Webster to CIA",
			text:  "President Reagan picked William Webster, the FBI director, as CIA director. The Senate must confirm him.",
			short: "William Webster", found: true},
		{name: "from the title when no sentence holds it", question: "how much did Japan's jobless rate climb to?", title: "JAPAN JOBLESS RATE CLIMBS TO 3.0 PCT",
			text:  "Japan's jobless rate climbed in January, the highest since records began, the Management and Coordination Agency said.",
			short: "3.0 pct", found: true}, // lower-cased from the wire headline
		{name: "a question in the passage is never the answer", question: "who took the Truro seat?", title: "Liberal wins Truro",
			text:  "Who will take the Truro seat? Matthew Taylor took the Truro seat for the Liberals with a majority of 14,617.",
			short: "Matthew Taylor", found: true, lacks: "Who will take"},
		{name: "a name no passage mentions is not answered", question: "who won the Tour de France cycling race in the mountains?", title: "SNCF loan for TGV line",
			text: "The loan will finance a high speed TGV track between Paris and Tours in France, which won approval this year.", found: false},
		{name: "well covered but for the name: answered with a warning", question: "who won the Tour de France this year?", title: "SNCF loan for TGV line",
			text:  "The loan will finance a high speed TGV track between Paris and Tours in France, which won approval this year.",
			found: true, note: "None of these passages mentions “Tour de France”"}, // and no short answer: "TGV" did not win it
		{name: "a name the corpus never mentions is not answered, however covered", question: "how much did Flumox Industries earn in the first quarter?", title: "Cardinal Industries earnings",
			text: "Cardinal Industries said it earned 1.2 mln dlrs in the first quarter, against 0.9 mln dlrs.", unknown: "Flumox", found: false,
			note: "No article in the corpus mentions “Flumox Industries”."},
		{name: "a name misspelt by a letter is found, with a note", question: "who supported Andreas Karistadt at Wittenberg?", title: "Reform at Wittenberg",
			text:  "Andreas Karlstadt was supported by Gabriel Zwilling at Wittenberg in 1521.",
			short: "Gabriel Zwilling", found: true, unknown: "Karistadt", note: MisspeltNote},
		{name: "a misspelt question word does not start the name", question: "Whic Carolina Panthers player was waived?", title: "Panthers roster",
			text:  "The Carolina Panthers waived running back DeAngelo Williams in March.",
			found: true, unknown: "Whic"},
		{name: "two letters off is another name", question: "who supported Andreas Kaixstadt at Wittenberg?", title: "Reform at Wittenberg",
			text: "Andreas Karlstadt was supported by Gabriel Zwilling at Wittenberg in 1521.", unknown: "Kaixstadt", found: false,
			note: "No article in the corpus mentions “Andreas Kaixstadt”."},
		{name: "a name the corpus has is not another's misspelling", question: "how much oil did Iran export in March?", title: "Iraq oil exports",
			text:  "Iraq exported 1.2 mln barrels of oil a day in March, the oil ministry said.",
			found: true, note: "None of these passages mentions “Iran”"}, // the note warns, and Iraq's figure is not in bold
		{name: "an unknown first word of a name stays in it", question: "Zelenskyy Foundation gave how much to the fund?", title: "Foundation gives to fund",
			text: "The Ford Foundation gave 2 mln dlrs to the fund, it said.", unknown: "Zelenskyy", found: false,
			note: "No article in the corpus mentions “Zelenskyy Foundation”."},
		{name: "a year answers when", question: "when did Tesla partner with Lane and Vail?", title: "Nikola Tesla",
			text:  "After leaving Edison's company Tesla partnered with two businessmen in 1886, Robert Lane and Benjamin Vail, who agreed to finance a lighting company.",
			short: "1886", found: true},
		{name: "the noun the question counts is not repeated", question: "how many points did Carolina score in the season?", title: "Panthers season",
			text:  "Carolina led the league in scoring with 500 points in the season.",
			short: "500", found: true},
		{name: "a year in a date is no amount", question: "how many calls are Putin and Xi holding?", title: "Putin and Xi hold a video call",
			text: "Putin and Xi spoke by video link on Wednesday, February 4, 2026, in their customary call at the start of the year.", found: true},
		{name: "a what question: the Reader's span", question: "what did the airline order from Airbus?", title: "Airline orders jets",
			text:  "The airline ordered twelve A320 jets from Airbus on Monday, its chairman said.",
			short: "twelve A320 jets", found: true},
		{name: "a what question: the capital", question: "What is the capital of the province?", title: "Manitoba",
			text:  "Its capital is Winnipeg, the largest city of the province.",
			short: "Winnipeg", found: true},
		{name: "no span answers what someone said", question: "what did Xi say about the plan?", title: "Xi on the plan",
			text: "Xi said the plan would open the economy further to the world, including Russia.", found: true},
		{name: "the rules' amount keeps its currency", question: "how much trade did Russia and China do?", title: "Trade",
			text:  "Trade between Russia and China has been surpassing the $200 billion mark for three years in a row, Putin said.",
			short: "$200 billion", found: true},
		{name: "a name of initials joined by and stays whole", question: "which company did Fifth Third agree to merge with?", title: "Fifth Third to merge",
			text:  "Fifth Third Bancorp agreed to merge with C and H Bancorp, which has assets of 257 mln dlrs.",
			short: "C and H Bancorp", found: true},
		{name: "no short answer to a why", question: "why did the Bosphorus close to ships?", title: "Snow closes Bosphorus",
			text: "The Bosphorus was closed to ships because of a blizzard, port officials said.", found: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := question(an, tt.question, tt.unknown)
			a, err := ex.Answer(context.Background(), q, []retrieve.Passage{passage(an, q, "a1", tt.title, tt.text)})
			if err != nil {
				t.Fatal(err)
			}
			if a.Found != tt.found {
				t.Fatalf("found = %v, want %v: %s (note %q)", a.Found, tt.found, a.Text, a.Note)
			}
			if a.Short != tt.short {
				t.Fatalf("short answer = %q, want %q: %s", a.Short, tt.short, a.Text)
			}
			if tt.short != "" && (a.ShortN != 1 || !strings.HasPrefix(a.Text, "**"+tt.short+"** — ")) {
				t.Errorf("the answer does not start with its short answer cited [1]: %q (short citation %d)", a.Text, a.ShortN)
			}
			if tt.lacks != "" && strings.Contains(a.Text, tt.lacks) {
				t.Errorf("the answer quotes %q: %s", tt.lacks, a.Text)
			}
			if !tt.found && tt.note == "" && !strings.Contains(a.Note, "No passage found mentions “Tour de France”") {
				t.Errorf("the refusal does not name what is missing: note %q", a.Note)
			}
			if !strings.Contains(a.Note, tt.note) {
				t.Errorf("note = %q, want it to say %q", a.Note, tt.note)
			}
		})
	}
}

func TestCheckShort(t *testing.T) {
	ps := []retrieve.Passage{{ArticleID: "a1", Title: "Reagan names Webster", Text: "Reagan picked William Webster as CIA director."}}
	cites := []Citation{{N: 1, ArticleID: "a1"}}
	tests := []struct {
		text, short, want string
	}{
		{"**William Webster** — Reagan picked him as CIA director [1].", "William Webster", "**William Webster** — Reagan picked him as CIA director [1]."},
		{"**William Webster**: Reagan picked him [1].", "William Webster", "**William Webster** — Reagan picked him [1]."},
		// A short answer no cited source holds is dropped, the rest kept.
		{"**Robert Gates** — Reagan picked him as CIA director [1].", "", "Reagan picked him as CIA director [1]."},
		{"Reagan picked William Webster [1].", "", "Reagan picked William Webster [1]."},
	}
	for _, tt := range tests {
		a := Answer{Text: tt.text, Citations: cites}
		checkShort(&a, ps)
		if a.Short != tt.short || a.Text != tt.want || (tt.short != "" && a.ShortN != 1) {
			t.Errorf("checkShort(%q) = short %q [%d], text %q; want %q, %q", tt.text, a.Short, a.ShortN, a.Text, tt.short, tt.want)
		}
	}
}

// replyModel answers every chat with reply, and keeps the system prompt.
type replyModel struct {
	reply  string
	system string
}

func (m *replyModel) Chat(_ context.Context, req llm.ChatRequest) (llm.ChatResult, error) {
	m.system = req.System
	return llm.ChatResult{Text: m.reply}, nil
}

func (m *replyModel) Model() string { return "reply-model" }

func TestGroundedShortAnswer(t *testing.T) {
	an := analysis.NewIndex()
	q := question(an, "who did Reagan pick for CIA director?")
	ps := []retrieve.Passage{passage(an, q, "a1", "Reagan names Webster to CIA", "President Reagan picked William Webster as CIA director.")}
	tests := []struct{ reply, short, text string }{
		{"**William Webster** — Reagan picked William Webster as CIA director [1].", "William Webster", "**William Webster** — Reagan picked William Webster as CIA director [1]."},
		{"**Robert Gates** — Reagan picked a CIA director [1].", "", "Reagan picked a CIA director [1]."},
	}
	for _, tt := range tests {
		m := &replyModel{reply: tt.reply}
		a, err := NewGrounded(m).Answer(context.Background(), q, ps)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.system, "start with the short answer in bold") {
			t.Errorf("the prompt does not ask for the short answer first:\n%s", m.system)
		}
		if a.Short != tt.short || a.Text != tt.text || a.Answerer != "reply-model" {
			t.Errorf("reply %q: short %q, text %q (by %s); want %q, %q", tt.reply, a.Short, a.Text, a.Answerer, tt.short, tt.text)
		}
	}
}

func TestOneEdit(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"karistadt", "karlstadt", true},    // changed
		{"melanchhon", "melanchthon", true}, // added
		{"melanchton", "melanchthon", true}, // dropped
		{"merceds", "mercedes", true},       // dropped
		{"counil", "council", true},
		{"sentanta", "setanta", true},  // added
		{"carslbad", "carlsbad", true}, // swapped
		{"ghengi", "genghi", false},    // two edits
		{"whic", "which", true},
		{"abc", "abd", false},     // too short
		{"tesla", "vesla", false}, // first letter
		{"same", "same", false},
	}
	for _, tt := range tests {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
