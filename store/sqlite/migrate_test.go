package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/koehq/koe"
)

// TestPostsMigrationKeepsReviews migrates a database with reviews down
// past the posts migration, which rebuilds the reviews table, and up
// again: the reviews of questions survive both rebuilds.
func TestPostsMigrationKeepsReviews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "koe.db")
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	p := &koe.Participant{EventID: e.ID, DisplayName: "Ada"}
	must(t, s.CreateParticipant(ctx, p))
	rev := &koe.Review{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, AuthorName: "Ada", Body: "Held?",
		State: koe.ReviewPending, Reasons: []byte(`[]`)}
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Held?", Status: koe.StatusPending}
	must(t, s.CreateQuestion(ctx, q, rev))
	src := &koe.Source{EventID: e.ID, Kind: koe.SourceWebhook, Name: "relay"}
	must(t, s.CreateSource(ctx, src))
	postRev := &koe.Review{State: koe.ReviewPending, Reasons: []byte(`[]`)}
	_, err = s.IngestPosts(ctx, src.ID, []koe.IngestedPost{{
		Post:   &koe.Post{ExternalID: "1", Text: "hello", Status: koe.StatusPending},
		Review: postRev,
	}}, "")
	must(t, err)
	must(t, s.Close())

	db, err := sql.Open("sqlite", dsn(path, "_pragma=foreign_keys(ON)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrations, err := newProvider(db)
	must(t, err)
	if _, err := migrations.DownTo(ctx, 8); err != nil {
		t.Fatalf("migrate down to 8: %v", err)
	}
	var n int
	must(t, db.QueryRowContext(ctx, `SELECT count(*) FROM reviews`).Scan(&n))
	if n != 1 {
		t.Errorf("%d reviews at version 8, want the question's alone", n)
	}

	s = openAt(t, path)
	got, err := s.Review(ctx, e.ID, rev.ID)
	if err != nil || got.TalkID != tk.ID || got.QuestionID != q.ID || got.ParticipantID != p.ID || got.Body != "Held?" {
		t.Errorf("question's review after the migrations = %+v, %v; want %+v", got, err, rev)
	}
	if open, err := s.Reviews(ctx, koe.ReviewQuery{EventID: e.ID, Open: true, Limit: 10}); err != nil || len(open) != 1 {
		t.Errorf("open reviews = %+v, %v; want one", open, err)
	}
}
