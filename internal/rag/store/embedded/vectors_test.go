package embedded

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/embed"
)

// TestVectorsMatchBruteForce puts random unit vectors over three months
// into the vector index, two in three of them copies, and checks
// chromem-go's answers against a brute force scan (ties by slot), for
// whole months, parts of months and open periods.
func TestVectorsMatchBruteForce(t *testing.T) {
	ctx := context.Background()
	const dim, n = 16, 600
	rng := rand.New(rand.NewPCG(1, 2))
	v := newVectors(dim)
	vecs := make([][]float32, n)
	days := make([]time.Time, n)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range vecs {
		vecs[i] = make([]float32, dim)
		var norm float64
		for j := range vecs[i] {
			vecs[i][j] = float32(rng.NormFloat64())
			norm += float64(vecs[i][j] * vecs[i][j])
		}
		for j := range vecs[i] {
			vecs[i][j] /= float32(math.Sqrt(norm))
		}
		days[i] = start.AddDate(0, 0, rng.IntN(90))
		if i%3 != 0 && i > 3 {
			// Duplicate wire stories: equal vectors, whose ties at the cut
			// must fall alike every time.
			vecs[i] = vecs[i-i%3]
		}
		if err := v.add(ctx, int32(i), days[i], vecs[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Remove a few, as updates do.
	for i := 0; i < n; i += 50 {
		v.remove(ctx, int32(i), days[i])
	}
	dateOf := func(slot int32) (time.Time, bool) { return days[slot], slot%50 != 0 }
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	periods := []dates.Period{
		{},
		{From: d("2026-02-01"), To: d("2026-02-28")},
		{From: d("2026-01-20"), To: d("2026-02-10")},
		{From: d("2026-03-05")},
		{To: d("2026-01-03")},
		{From: d("2026-02-14"), To: d("2026-02-14")},
	}
	for _, p := range periods {
		for _, k := range []int{1, 10, 64, 1000} {
			q := vecs[rng.IntN(n)]
			got, err := v.nearest(ctx, q, k, p, dateOf, nil)
			if err != nil {
				t.Fatal(err)
			}
			var want []vectorHit
			for i := range vecs {
				if i%50 == 0 || !p.Contains(days[i]) {
					continue
				}
				want = append(want, vectorHit{slot: int32(i), sim: dot(q, vecs[i])})
			}
			sort.Slice(want, func(i, j int) bool {
				if want[i].sim != want[j].sim {
					return want[i].sim > want[j].sim
				}
				return want[i].slot < want[j].slot
			})
			want = want[:min(k, len(want))]
			if len(got) != len(want) {
				t.Fatalf("%v k=%d: %d hits, want %d", p, k, len(got), len(want))
			}
			for i := range got {
				if got[i].slot != want[i].slot || abs(got[i].sim-want[i].sim) > 1e-5 {
					t.Fatalf("%v k=%d: hit %d is %+v, want %+v", p, k, i, got[i], want[i])
				}
			}
		}
	}
	if c := v.count(); c != n-n/50 {
		t.Errorf("count %d", c)
	}
}

// BenchmarkNearest times one vector query over a Reuters-sized index
// (24,500 chunks of the local embedder's dimensions, from 1987-02-26 to 1987-10-20) for the
// 64 nearest: as of the last day (every month, the last in part), in
// March 1987, and in one week.
func BenchmarkNearest(b *testing.B) {
	ctx := context.Background()
	const dim, n = embed.DefaultLocalDimension, 24500
	rng := rand.New(rand.NewPCG(1, 2))
	v := newVectors(dim)
	days := make([]time.Time, n)
	start := time.Date(1987, 2, 26, 0, 0, 0, 0, time.UTC)
	unit := func() []float32 {
		vec := make([]float32, dim)
		var norm float64
		for j := range vec {
			vec[j] = float32(rng.NormFloat64())
			norm += float64(vec[j] * vec[j])
		}
		for j := range vec {
			vec[j] /= float32(math.Sqrt(norm))
		}
		return vec
	}
	for i := range days {
		days[i] = start.AddDate(0, 0, rng.IntN(237))
		if err := v.add(ctx, int32(i), days[i], unit()); err != nil {
			b.Fatal(err)
		}
	}
	dateOf := func(slot int32) (time.Time, bool) { return days[slot], true }
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, c := range []struct {
		name   string
		period dates.Period
	}{
		{"all", dates.Period{}},
		{"as-of", dates.Period{To: d("1987-10-20")}},
		{"month", dates.Period{From: d("1987-03-01"), To: d("1987-03-31")}},
		{"week", dates.Period{From: d("1987-04-06"), To: d("1987-04-12")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			q := unit()
			for b.Loop() {
				if _, err := v.nearest(ctx, q, 64, c.period, dateOf, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
