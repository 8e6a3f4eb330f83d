// Package eval measures Herald's answer quality on public question sets: it
// ingests a dataset's passages as articles, asks every question through the
// engine as a user would, and checks what comes back against the gold answers.
package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
)

// Dataset is a set of articles and the questions asked about them.
type Dataset struct {
	// Name says where the data came from.
	Name     string
	Articles []corpus.Article
	Items    []Item
}

// Item is one question with the article that answers it and the answers
// that count as right.
type Item struct {
	ID        string
	Question  string
	ArticleID string
	Answers   []string
}

// squadDate dates every SQuAD paragraph: the set has no dates, and Herald's
// articles need one.
var squadDate = time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)

// squadFile is the layout of SQuAD v1.1 JSON.
type squadFile struct {
	Version string `json:"version"`
	Data    []struct {
		Title      string `json:"title"`
		Paragraphs []struct {
			Context string `json:"context"`
			QAs     []struct {
				ID       string `json:"id"`
				Question string `json:"question"`
				Answers  []struct {
					Text string `json:"text"`
				} `json:"answers"`
			} `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
}

// LoadSQuAD reads a SQuAD v1.1 file: every paragraph becomes an article
// titled with its Wikipedia page, and every question an Item whose gold
// article is its paragraph.
func LoadSQuAD(path string) (Dataset, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Dataset{}, fmt.Errorf("reading SQuAD file: %w", err)
	}
	var f squadFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return Dataset{}, fmt.Errorf("parsing SQuAD file %s: %w", path, err)
	}
	ds := Dataset{Name: "SQuAD " + f.Version}
	for i, page := range f.Data {
		title := strings.ReplaceAll(page.Title, "_", " ")
		for j, para := range page.Paragraphs {
			body := strings.TrimSpace(para.Context)
			if body == "" {
				return Dataset{}, fmt.Errorf("%s: data[%d].paragraphs[%d].context: empty paragraph", path, i, j)
			}
			id := fmt.Sprintf("squad:%d:%d", i, j)
			ds.Articles = append(ds.Articles, article(id, title, body, path))
			for k, qa := range para.QAs {
				it := Item{ID: qa.ID, Question: strings.TrimSpace(qa.Question), ArticleID: id}
				for _, a := range qa.Answers {
					it.Answers = append(it.Answers, a.Text)
				}
				if it.Question == "" || len(it.Answers) == 0 {
					return Dataset{}, fmt.Errorf("%s: data[%d].paragraphs[%d].qas[%d] (%s): a question and at least one answer are required", path, i, j, k, qa.ID)
				}
				ds.Items = append(ds.Items, it)
			}
		}
	}
	if len(ds.Items) == 0 {
		return Dataset{}, fmt.Errorf("%s: no questions: is it a SQuAD v1.1 file?", path)
	}
	return ds, nil
}

// article makes a dated article of a dataset passage.
func article(id, title, body, source string) corpus.Article {
	return corpus.Article{ID: id, Title: title, Date: squadDate, Body: body, Source: source, Line: 1, Hash: id}
}
