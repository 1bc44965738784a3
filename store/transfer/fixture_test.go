package transfer

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// fixture is what fill made, for the checks after a copy.
type fixture struct {
	event       *koe.Event
	talk        *koe.Talk
	fan         *koe.Participant // likes question
	question    *koe.Question
	sessionHash []byte
	tokenHash   []byte
	poll        *koe.Poll     // closed, with votes
	words       *koe.Poll     // open, with a held answer
	other       *koe.Event    // the last event
	held        *koe.Question // the last question
	secret      []byte
	screenSeq   int64 // the last screen link id SQLite gave out
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

// fill puts rows in every table of s through the store's own API.
func fill(t *testing.T, s koe.Store) *fixture {
	ctx := t.Context()
	f := &fixture{}
	now := time.Now().UTC().Truncate(time.Microsecond)
	staff := koe.Actor{Kind: koe.ActorStaff, ID: 1, Via: koe.ViaSession, Addr: "192.0.2.1"}
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: staff, At: now})

	var err error
	f.secret, err = s.Secret(ctx, "participant-seal", func() ([]byte, error) { return []byte("0123456789abcdef0123456789abcdef"), nil })
	must(t, "Secret", err)

	// Events, talks, participants, questions, likes, replies.
	f.event = &koe.Event{Slug: "meetup-42", Title: "Go Meetup #42 — 東京", TimeZone: "Asia/Tokyo", StartsAt: ptr(now.Add(time.Hour))}
	must(t, "CreateEvent", s.CreateEvent(octx, f.event))
	f.other = &koe.Event{Slug: "other", Title: "Other", TimeZone: "UTC"}
	must(t, "CreateEvent", s.CreateEvent(octx, f.other))
	f.talk = &koe.Talk{EventID: f.event.ID, Title: "Generics", Speaker: "Aiko", Track: "A", StartsAt: ptr(now), QAOpen: true,
		Room: "Hall B", Language: "ja"}
	must(t, "CreateTalk", s.CreateTalk(octx, f.talk))
	asker := &koe.Participant{EventID: f.event.ID, DisplayName: "Ken"}
	must(t, "CreateParticipant", s.CreateParticipant(ctx, asker))
	f.fan = &koe.Participant{EventID: f.event.ID, DisplayName: "Mika", OIDCIssuer: "https://id.example", OIDCSubject: "mika"}
	must(t, "CreateParticipant", s.CreateParticipant(ctx, f.fan))
	troll := &koe.Participant{EventID: f.event.ID, DisplayName: "Troll"}
	must(t, "CreateParticipant", s.CreateParticipant(ctx, troll))

	f.question = &koe.Question{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: asker.ID, AuthorName: "Ken", Body: "How do type sets work? 型セット"}
	must(t, "CreateQuestion", s.CreateQuestion(ctx, f.question, nil))
	answered := &koe.Question{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: f.fan.ID, AuthorName: "Mika", Body: "And iterators?"}
	must(t, "CreateQuestion", s.CreateQuestion(ctx, answered, nil))
	_, err = s.UpdateQuestion(octx, f.event.ID, f.talk.ID, answered.ID, koe.QuestionUpdate{Answered: ptr(true)})
	must(t, "UpdateQuestion", err)
	_, err = s.SetLike(ctx, f.event.ID, f.talk.ID, f.question.ID, f.fan.ID, true)
	must(t, "SetLike", err)
	_, err = s.SetHighlight(octx, f.event.ID, f.talk.ID, f.question.ID)
	must(t, "SetHighlight", err)
	_, err = s.CreateReply(ctx, &koe.Reply{EventID: f.event.ID, TalkID: f.talk.ID, QuestionID: f.question.ID, ParticipantID: f.fan.ID, AuthorName: "Mika", Body: "+1"}, nil)
	must(t, "CreateReply", err)
	_, err = s.CreateReply(octx, &koe.Reply{EventID: f.event.ID, TalkID: f.talk.ID, QuestionID: f.question.ID, Staff: true, AuthorName: "Host", Body: "Next slide"}, nil)
	must(t, "CreateReply(staff)", err)

	// Moderation: a held question with its review, claimed; a ban.
	rev := &koe.Review{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: troll.ID, AuthorName: "Troll", Body: "spam spam",
		State: koe.ReviewPending, Reasons: []byte(`[{"kind":"mode","name":"pre","action":"queue"}]`), Score: []byte(`{"bad":0.25,"ngrams":[]}`)}
	f.held = &koe.Question{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: troll.ID, AuthorName: "Troll", Body: "spam spam", Status: koe.StatusPending}
	must(t, "CreateQuestion(held)", s.CreateQuestion(ctx, f.held, rev))
	_, err = s.ClaimReview(ctx, f.event.ID, rev.ID, 1, &koe.ReviewClaim{Name: "Aiko", Until: now.Add(time.Minute)}, now)
	must(t, "ClaimReview", err)
	must(t, "CreateBan", s.CreateBan(octx, &koe.Ban{EventID: f.event.ID, ParticipantID: troll.ID, Reason: "spam", By: "Aiko"}, true))

	// Staff: accounts, sessions, memberships, invitations, API tokens, passkeys.
	owner := &koe.Account{Login: "aiko", Email: "aiko@example.com", DisplayName: "Aiko", Admin: true, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}
	must(t, "CreateAccount", s.CreateAccount(octx, owner))
	mod := &koe.Account{Login: "ken", DisplayName: "Ken", OIDCIssuer: "https://id.example", OIDCSubject: "ken"}
	must(t, "CreateAccount", s.CreateAccount(octx, mod))
	f.sessionHash = bytes.Repeat([]byte{0xa5}, 32)
	must(t, "CreateSession", s.CreateSession(ctx, &koe.Session{Hash: f.sessionHash, AccountID: owner.ID, Method: "password",
		UserAgent: "Firefox", Addr: "192.0.2.1", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(24 * time.Hour)}))
	must(t, "SetMembership", s.SetMembership(octx, &koe.Membership{EventID: f.event.ID, AccountID: owner.ID, Role: koe.RoleOwner}))
	must(t, "SetMembership", s.SetMembership(octx, &koe.Membership{EventID: f.event.ID, AccountID: mod.ID, Role: koe.RolePresenter, Talks: []int64{f.talk.ID}}))
	must(t, "CreateInvitation", s.CreateInvitation(octx, &koe.Invitation{Hash: bytes.Repeat([]byte{5}, 32), EventID: f.event.ID,
		Role: koe.RoleModerator, CreatedBy: owner.ID, ExpiresAt: now.Add(time.Hour)}))
	f.tokenHash = bytes.Repeat([]byte{4}, 32)
	must(t, "CreateAPIToken", s.CreateAPIToken(octx, &koe.APIToken{AccountID: owner.ID, Name: "CI", Hash: f.tokenHash,
		Events: []int64{f.event.ID}, Roles: []koe.Role{koe.RoleModerator}, ExpiresAt: ptr(now.Add(48 * time.Hour))}))
	_, err = s.PasskeyHandle(ctx, owner.ID, func() []byte { return bytes.Repeat([]byte{7}, 32) })
	must(t, "PasskeyHandle", err)
	must(t, "CreatePasskey", s.CreatePasskey(octx, &koe.Passkey{AccountID: owner.ID, Name: "YubiKey", CredentialID: []byte{1, 2, 3},
		RPID: "koe.example", Credential: []byte(`{"id":"AQID","publicKey":"pk"}`), SignCount: 3}))
	must(t, "CreatePasskeyCeremony", s.CreatePasskeyCeremony(ctx, &koe.PasskeyCeremony{Hash: bytes.Repeat([]byte{9}, 32),
		Kind: koe.CeremonyRegister, AccountID: owner.ID, Session: []byte(`{"challenge":"c"}`), ExpiresAt: now.Add(5 * time.Minute)}, now))

	// The social feed: a source, a post and a held post with its review.
	src := &koe.Source{EventID: f.event.ID, Kind: koe.SourceMastodon, Name: "Mastodon", Enabled: true,
		Config: koe.SourceConfig{Instance: "https://mastodon.example", Hashtags: []string{"koe"}, Keywords: []string{}, Secret: "tok"}}
	must(t, "Source.Validate", src.Validate())
	must(t, "CreateSource", s.CreateSource(octx, src))
	post := func(id string) *koe.Post {
		return &koe.Post{Platform: koe.SourceMastodon, ExternalID: "https://mastodon.example/statuses/" + id, Ref: id,
			AuthorHandle: "@ann@mastodon.example", AuthorName: "Ann", Text: "Great talk " + id, Lang: "en",
			PostedAt: now.Add(-time.Minute), URL: "https://mastodon.example/@ann/" + id}
	}
	heldPost := post("2")
	heldPost.Status = koe.StatusPending
	_, err = s.IngestPosts(ctx, src.ID, []koe.IngestedPost{{Post: post("1")}, {Post: heldPost, Review: &koe.Review{State: koe.ReviewPending, Reasons: []byte(`[]`)}}}, "cursor-1")
	must(t, "IngestPosts", err)

	// Integrations: a webhook with a delivery tried once, Slack.
	hook := &koe.Webhook{EventID: f.event.ID, URL: "https://cms.example/hook", Description: "CMS",
		Events: []koe.WebhookEvent{koe.HookQuestionCreated}, Enabled: true, Secret: "whsec_abc"}
	must(t, "CreateWebhook", s.CreateWebhook(octx, hook))
	d := &koe.Delivery{EventID: f.event.ID, Target: koe.TargetWebhook, TargetID: hook.ID, Key: "0-1", Type: "question.created",
		Payload: json.RawMessage(`{"id": 1, "body": "x"}`), NextAt: now}
	must(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, []*koe.Delivery{d}))
	must(t, "FinishAttempt", s.FinishAttempt(ctx, d.ID, koe.DeliveryOutcome{
		Attempt: koe.DeliveryAttempt{At: now, Status: 500, LatencyMS: 12.5, Error: "HTTP 500", Response: "oops"},
		State:   koe.DeliveryPending, NextAt: now.Add(30 * time.Second)}))
	_, err = s.SetSlackConnection(octx, f.event.ID, koe.SlackUpdate{Enabled: ptr(true), Channel: ptr("C0KOE"), BotToken: ptr("xoxb-1"), SigningSecret: ptr("sig"), Reviews: ptr(true)})
	must(t, "SetSlackConnection", err)
	must(t, "LinkSlackUser", s.LinkSlackUser(ctx, &koe.SlackLink{TeamID: "T1", UserID: "U1", AccountID: mod.ID}))

	// Branding, screens, reactions.
	_, err = s.SetEventLogo(octx, f.event.ID, pngLogo(t))
	must(t, "SetEventLogo", err)
	must(t, "CreateScreenLink", s.CreateScreenLink(octx, &koe.ScreenLink{EventID: f.event.ID, Kind: koe.ScreenProjector, Label: "Room A", Secret: "koe_v_room"}))
	// A deleted last link leaves SQLite's AUTOINCREMENT counter above the
	// ids in the table: PostgreSQL's sequence must not give its id again.
	gone := &koe.ScreenLink{EventID: f.event.ID, Kind: koe.ScreenOverlay, Label: "OBS", Secret: "koe_v_obs"}
	must(t, "CreateScreenLink", s.CreateScreenLink(octx, gone))
	must(t, "DeleteScreenLink", s.DeleteScreenLink(octx, f.event.ID, gone.ID))
	f.screenSeq = gone.ID
	must(t, "AddReactions", s.AddReactions(ctx, f.event.ID, f.talk.ID, map[string]int64{"👏": 3, "🎉": 1}))

	// The schedule's source and an audience peak.
	must(t, "SaveScheduleSource", s.SaveScheduleSource(ctx, &koe.ScheduleSource{EventID: f.event.ID, URL: "https://conf.example/schedule.json",
		RefreshMinutes: 15, ETag: `"v1"`, LastModified: "Tue, 03 Dec 2030 10:00:00 GMT", CheckedAt: ptr(now), CreatedAt: now}))
	must(t, "RecordPresence", s.RecordPresence(ctx, f.event.ID, f.talk.ID, now.Truncate(time.Minute), 42))

	// Polls: a choice poll with votes, a word cloud with a held answer.
	opts, err := koe.CheckPollOptions([]string{"Yes", "No"})
	must(t, "CheckPollOptions", err)
	f.poll = &koe.Poll{EventID: f.event.ID, TalkID: f.talk.ID, Kind: koe.PollChoice, Question: "Generics?", Options: opts, Results: koe.ResultsLive}
	must(t, "CreatePoll", s.CreatePoll(octx, f.poll))
	_, err = s.UpdatePoll(octx, f.event.ID, f.talk.ID, f.poll.ID, koe.PollUpdate{State: ptr(koe.PollOpen)})
	must(t, "UpdatePoll", err)
	for _, p := range []*koe.Participant{asker, f.fan} {
		must(t, "CastVote", s.CastVote(ctx, &koe.Vote{PollID: f.poll.ID, EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: p.ID,
			Keys: []string{opts[0].ID}, Status: koe.StatusApproved}, nil))
	}
	f.words = &koe.Poll{EventID: f.event.ID, TalkID: f.talk.ID, Kind: koe.PollWords, Question: "One word?", Results: koe.ResultsLive}
	must(t, "CreatePoll", s.CreatePoll(octx, f.words))
	_, err = s.UpdatePoll(octx, f.event.ID, f.talk.ID, f.words.ID, koe.PollUpdate{State: ptr(koe.PollOpen)})
	must(t, "UpdatePoll", err)
	must(t, "CastVote(held)", s.CastVote(ctx, &koe.Vote{PollID: f.words.ID, EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: troll.ID,
		Keys: []string{"spam"}, Text: "spam", Status: koe.StatusPending},
		&koe.Review{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: troll.ID, AuthorName: "Troll", Body: "spam",
			State: koe.ReviewPending, Reasons: []byte(`[]`)}))

	// The outbox: a consumer's cursor, the audit log, and a pruned start.
	changes, _, err := s.Changes(ctx, koe.OutboxPos{}, 1000)
	must(t, "Changes", err)
	if len(changes) < 10 {
		t.Fatalf("%d changes recorded, want many", len(changes))
	}
	must(t, "RecordAudit", s.RecordAudit(ctx, changes))
	must(t, "SaveOutboxCursor", s.SaveOutboxCursor(ctx, "webhooks", changes[len(changes)-2].Pos))
	_, err = s.PruneOutbox(ctx, now.Add(time.Hour), changes[2].Pos)
	must(t, "PruneOutbox", err)
	return f
}

func pngLogo(t *testing.T) *koe.EventLogo {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var b bytes.Buffer
	must(t, "png", png.Encode(&b, img))
	logo, err := koe.CheckLogo(b.Bytes())
	must(t, "CheckLogo", err)
	return logo
}
