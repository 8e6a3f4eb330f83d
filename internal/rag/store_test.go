package rag

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// randomVectors makes n unit vectors dated over the months of 2026.
func randomVectors(n, dim int, seed uint64) []ChunkVector {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]ChunkVector, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		normalize(v)
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
		out[i] = ChunkVector{ChunkID: fmt.Sprintf("c%05d", i), Date: day, Vector: v}
	}
	return out
}

// bruteNearest is the obvious answer Nearest must give.
func bruteNearest(vs []ChunkVector, q []float32, k int, p Period) []VectorHit {
	var hits []VectorHit
	for _, v := range vs {
		if p.Contains(v.Date) {
			hits = append(hits, VectorHit{v.ChunkID, dot(q, v.Vector)})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Similarity != hits[j].Similarity {
			return hits[i].Similarity > hits[j].Similarity
		}
		return hits[i].ChunkID < hits[j].ChunkID
	})
	return hits[:min(k, len(hits))]
}

func TestChromemStoreNearestMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	const dim = 32
	vs := randomVectors(12000, dim, 1) // above parallelRows: the split scan
	s := NewChromemStore()
	if err := s.Add(ctx, vs); err != nil {
		t.Fatal(err)
	}
	// Delete a third, then replace a few with new dates and vectors.
	var kept []ChunkVector
	var gone []ChunkVector
	for i, v := range vs {
		if i%3 == 0 {
			gone = append(gone, ChunkVector{ChunkID: v.ChunkID, Date: v.Date})
		} else {
			kept = append(kept, v)
		}
	}
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	moved := randomVectors(50, dim, 2)
	for i := range moved {
		moved[i].ChunkID = kept[i].ChunkID
		kept[i] = moved[i]
	}
	if err := s.Add(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if s.Len() != len(kept) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(kept))
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	periods := []struct {
		name string
		p    Period
	}{
		{"any date", Period{}},
		{"one day", Period{From: day(3, 5), To: day(3, 5)}},
		{"part of two months", Period{From: day(2, 20), To: day(3, 10)}},
		{"whole months", Period{From: day(4, 1), To: day(6, 30)}},
		{"open end", Period{From: day(12, 1)}},
		{"before the corpus", Period{To: day(1, 1).AddDate(0, 0, -1)}},
	}
	queries := randomVectors(20, dim, 3)
	for _, tt := range periods {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range queries {
				for _, k := range []int{1, 10, 100} {
					got, err := s.Nearest(ctx, q.Vector, k, tt.p)
					if err != nil {
						t.Fatal(err)
					}
					want := bruteNearest(kept, q.Vector, k, tt.p)
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("k=%d: got %v\nwant %v", k, got[:min(3, len(got))], want[:min(3, len(want))])
					}
				}
			}
		})
	}
	if _, err := s.Nearest(ctx, make([]float32, dim+1), 5, Period{}); err == nil {
		t.Error("a query of the wrong dimension was accepted")
	}
	if err := s.Add(ctx, []ChunkVector{{ChunkID: "x", Date: day(1, 1), Vector: make([]float32, dim-1)}}); err == nil {
		t.Error("a vector of the wrong dimension was accepted")
	}
}

// TestChromemStoreAgreesWithChromem checks the scan against chromem-go's own
// query over the same vectors, for whole months.
func TestChromemStoreAgreesWithChromem(t *testing.T) {
	ctx := context.Background()
	vs := randomVectors(3000, 64, 4)
	s := NewChromemStore()
	if err := s.Add(ctx, vs); err != nil {
		t.Fatal(err)
	}
	for _, q := range randomVectors(10, 64, 5) {
		got, err := s.Nearest(ctx, q.Vector, 20, Period{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.QueryChromem(ctx, q.Vector, 20, Period{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i].ChunkID != want[i].ChunkID || abs32(got[i].Similarity-want[i].Similarity) > 1e-5 {
				t.Fatalf("hit %d: scan %v, chromem-go %v", i, got[i], want[i])
			}
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestChromemStoreTiesAndHugeK(t *testing.T) {
	ctx := context.Background()
	s := NewChromemStore()
	v := []float32{1, 0, 0, 0}
	var vs []ChunkVector
	for i := 19; i >= 0; i-- { // inserted in reverse ID order
		vs = append(vs, ChunkVector{ChunkID: fmt.Sprintf("c%02d", i), Date: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Vector: v})
	}
	if err := s.Add(ctx, vs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Nearest(ctx, v, 3, Period{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(bruteNearest(vs, v, 3, Period{})) || got[0].ChunkID != "c00" {
		t.Errorf("equal vectors: got %v, want c00 c01 c02", got)
	}
	all, err := s.Nearest(ctx, v, 1<<62, Period{})
	if err != nil || len(all) != 20 {
		t.Errorf("k = 2^62: %d hits, %v", len(all), err)
	}
}
