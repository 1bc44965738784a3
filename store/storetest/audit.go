package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// testAudit: the audit log keeps changes read from the outbox once each,
// selects them by event, actor, type and time, newest first, in pages,
// and forgets the old ones.
func testAudit(t *testing.T, s koe.Store) {
	ctx := t.Context()
	start := head(t, s)
	base := time.Date(2031, 1, 2, 3, 0, 0, 0, time.UTC)
	aiko := koe.Actor{Kind: koe.ActorStaff, ID: 11, Via: koe.ViaSession, Addr: "192.0.2.1"}
	ken := koe.Actor{Kind: koe.ActorStaff, ID: 12, Via: koe.ViaAPIToken, Addr: "192.0.2.2"}
	as := func(a koe.Actor, minute int) koe.Origin {
		return koe.Origin{Actor: a, At: base.Add(time.Duration(minute) * time.Minute)}
	}
	e1 := &koe.Event{Slug: "audit-1", Title: "One", TimeZone: "UTC"}
	must(t, "CreateEvent", s.CreateEvent(koe.WithOrigin(ctx, as(aiko, 0)), e1))
	e2 := &koe.Event{Slug: "audit-2", Title: "Two", TimeZone: "UTC"}
	must(t, "CreateEvent", s.CreateEvent(koe.WithOrigin(ctx, as(ken, 1)), e2))
	_, err := s.UpdateEvent(koe.WithOrigin(ctx, as(ken, 2)), e1.ID, koe.EventUpdate{Title: ptr("One!")})
	must(t, "UpdateEvent", err)
	tk := &koe.Talk{EventID: e1.ID, Title: "Talk"}
	must(t, "CreateTalk", s.CreateTalk(koe.WithOrigin(ctx, as(aiko, 3)), tk))
	acct := &koe.Account{Login: "audited-account", DisplayName: "A"}
	must(t, "CreateAccount", s.CreateAccount(koe.WithOrigin(ctx, as(aiko, 4)), acct))

	changes := readAll(t, s, start)
	if len(changes) != 5 {
		t.Fatalf("%d changes, want 5", len(changes))
	}
	must(t, "RecordAudit", s.RecordAudit(ctx, changes))
	must(t, "RecordAudit(again)", s.RecordAudit(ctx, changes[2:])) // a consumer that repeats itself
	must(t, "RecordAudit(none)", s.RecordAudit(ctx, nil))

	query := func(name string, q koe.AuditQuery, want ...koe.ChangeType) []koe.Change {
		t.Helper()
		got, err := s.Audit(ctx, q)
		must(t, name, err)
		var types []koe.ChangeType
		for _, c := range got {
			types = append(types, c.Type)
		}
		if !slices.Equal(types, want) {
			t.Errorf("%s: %v, want %v", name, types, want)
		}
		return got
	}
	all := query("all", koe.AuditQuery{}, koe.AccountCreated, koe.TalkCreated, koe.EventUpdated, koe.EventCreated, koe.EventCreated)
	if c, w := all[2], changes[2]; c.Pos != w.Pos || c.Actor != ken || !c.At.Equal(w.At) || c.EventID != e1.ID ||
		string(c.Data) != string(w.Data) || string(c.Before) != string(w.Before) || c.Visibility != w.Visibility {
		t.Errorf("kept %+v, want %+v", c, w)
	}
	var before koe.Event
	if err := json.Unmarshal(all[2].Before, &before); err != nil || before.Title != "One" {
		t.Errorf("the record before the update: %s", all[2].Before)
	}
	query("one event", koe.AuditQuery{EventID: e1.ID}, koe.TalkCreated, koe.EventUpdated, koe.EventCreated)
	query("one actor", koe.AuditQuery{Actor: &ken}, koe.EventUpdated, koe.EventCreated)
	query("actor and event", koe.AuditQuery{Actor: &ken, EventID: e1.ID}, koe.EventUpdated)
	query("type prefix", koe.AuditQuery{TypePrefix: "event."}, koe.EventUpdated, koe.EventCreated, koe.EventCreated)
	query("wildcards are not wild", koe.AuditQuery{TypePrefix: "%"})
	query("time", koe.AuditQuery{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, koe.EventUpdated, koe.EventCreated)

	// Pages.
	page := query("first page", koe.AuditQuery{Limit: 2}, koe.AccountCreated, koe.TalkCreated)
	page = query("second page", koe.AuditQuery{Limit: 2, Before: page[1].Pos}, koe.EventUpdated, koe.EventCreated)
	query("last page", koe.AuditQuery{Limit: 2, Before: page[1].Pos}, koe.EventCreated)

	n, err := s.PruneAudit(ctx, base.Add(2*time.Minute))
	must(t, "PruneAudit", err)
	if n != 2 {
		t.Errorf("PruneAudit = %d, want 2", n)
	}
	query("after pruning", koe.AuditQuery{}, koe.AccountCreated, koe.TalkCreated, koe.EventUpdated)
}
