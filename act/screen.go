package act

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/moderation"
)

// moderator runs the moderation pipeline for the actions: each event's
// compiled settings, its learned model and its bans, cached
// (docs/architecture.md, "Moderation").
type moderator struct {
	store   koe.Store
	now     func() time.Time
	scorers []koe.ScorerConfig // KOE_SCORERS: every event's
	metrics *moderationMetrics
	hm      *moderation.ScorerMetrics

	mu     sync.Mutex
	events map[int64]*eventModeration
	http   map[koe.ScorerConfig]*moderation.HTTPScorer
}

// eventModeration is what the pipeline keeps of one event.
type eventModeration struct {
	version int64 // of the event the settings were compiled from
	cfg     *moderation.Config
	model   *moderation.Model
	modelAt time.Time // when the model was built from the store
	// rebuilding is true while a new model is built in the background.
	rebuilding bool
	bans       map[int64]bool
	bansAt     time.Time
}

// How long cached moderation state is trusted: bans for a second (a ban
// holds at once on the replica that made it, within a second on the
// others), learned models for a minute (decisions on this replica teach
// its model at once).
const (
	bansTTL  = time.Second
	modelTTL = time.Minute
	// maxSamples bounds the decisions a model learns from.
	maxSamples = 5000
	// repeatWindow is how far back the repeated rule looks.
	repeatWindow = 10 * time.Minute
	// duplicateWindow is how many of the talk's open (visible,
	// unanswered) questions the duplicate rule compares with.
	duplicateWindow = 200
	// screenTimeout bounds the scorers of one text.
	screenTimeout = 2 * time.Second
)

type moderationMetrics struct {
	decisions *prometheus.CounterVec
	wait      prometheus.Histogram
}

func newModerator(st koe.Store, now func() time.Time, scorers []koe.ScorerConfig, reg prometheus.Registerer) *moderator {
	m := &moderator{store: st, now: now, scorers: scorers, events: map[int64]*eventModeration{},
		http: map[koe.ScorerConfig]*moderation.HTTPScorer{},
		metrics: &moderationMetrics{
			decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "koe_moderation_decisions_total",
				Help: "Moderation decisions by decision (approved, flagged, queued, rejected) and reason (the strongest reason's kind: mode, rule, word, scorer; moderator for people's decisions; none).",
			}, []string{"decision", "reason"}),
			wait: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:    "koe_moderation_decision_seconds",
				Help:    "Time from a text's submission to a moderator's decision on it.",
				Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800},
			}),
		}}
	// Training the shipped model and compiling the shipped word lists take
	// a moment: done at start, not in the first question's request.
	go func() {
		moderation.Shipped()
		moderation.ShippedWords()
	}()
	if reg != nil {
		reg.MustRegister(m.metrics.decisions, m.metrics.wait)
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "koe_moderation_queue_depth",
			Help: "Items waiting for a moderator (pending reviews), in every event.",
		}, m.queueDepth))
		m.hm = moderation.NewScorerMetrics(reg)
	}
	return m
}

func (m *moderator) queueDepth() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := m.store.ReviewCounts(ctx, 0, 0, m.now())
	if err != nil {
		return -1
	}
	return float64(c.Pending)
}

// pipeline returns the event's compiled settings and learned model,
// compiling the settings again when the event changed (or got a new
// model). The two are read under the lock: a rebuild swaps them later.
func (m *moderator) pipeline(e *koe.Event) (*moderation.Config, *moderation.Model) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.events[e.ID]
	if st == nil {
		st = &eventModeration{}
		m.events[e.ID] = st
	}
	if st.model == nil {
		st.model = moderation.Shipped().Clone()
	}
	if st.cfg == nil || st.version != e.Version {
		st.version, st.cfg = e.Version, m.compile(e)
	}
	if !st.rebuilding && m.now().Sub(st.modelAt) > modelTTL {
		st.rebuilding = true
		go m.rebuild(e.ID, st)
	}
	return st.cfg, st.model
}

// compile turns an event's settings into the pipeline's; m.mu is held.
func (m *moderator) compile(e *koe.Event) *moderation.Config {
	mc := e.Moderation.Normalized()
	rules := make([]moderation.WordRule, len(mc.Words))
	for i, w := range mc.Words {
		rules[i] = moderation.WordRule{Word: w.Word, Action: moderation.Action(w.Action)}
	}
	cfg := &moderation.Config{
		Words:    moderation.EventWords(mc.ShippedLists, rules, mc.Allow),
		MaxLinks: mc.MaxLinks, QueueAt: mc.QueueThreshold, RejectAt: mc.RejectThreshold,
		FailClosed: mc.FailClosed,
	}
	st := m.events[e.ID]
	// koe's own scorer comes first: rebuild swaps its model.
	cfg.Scorers = append(cfg.Scorers, moderation.NamedScorer{Name: "koe", Scorer: st.model, Cautious: true})
	for _, sc := range append(append([]koe.ScorerConfig{}, m.scorers...), mc.Scorers...) {
		key := koe.ScorerConfig{Name: sc.Name, URL: sc.URL} // one client (and breaker) per scorer
		h := m.http[key]
		if h == nil {
			var err error
			if h, err = moderation.NewHTTPScorer(sc.Name, sc.URL, moderation.HTTPScorerOptions{Metrics: m.hm}); err != nil {
				continue // validated when set; a bad KOE_SCORERS entry fails at start
			}
			m.http[key] = h
		}
		cfg.Scorers = append(cfg.Scorers, moderation.NamedScorer{Name: sc.Name, Scorer: h, Cautious: sc.FlagOnly})
	}
	return cfg
}

// rebuild builds the event's model again from the shipped one and the
// event's decisions, then swaps it in.
func (m *moderator) rebuild(eventID int64, st *eventModeration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	model := moderation.Shipped().Clone()
	samples, err := m.store.Samples(ctx, eventID, maxSamples)
	for i := len(samples) - 1; i >= 0; i-- { // oldest first
		model.Learn(samples[i].Body, samples[i].Bad)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st.rebuilding = false
	if err != nil {
		return // try again with the next text
	}
	st.model, st.modelAt = model, m.now()
	if st.cfg != nil { // the same settings, with the new model as koe's scorer
		cfg := *st.cfg
		cfg.Scorers = slices.Clone(cfg.Scorers)
		cfg.Scorers[0].Scorer = model
		st.cfg = &cfg
	}
}

// learn teaches the event's model a moderator's decision at once.
func (m *moderator) learn(eventID int64, body string, bad bool) {
	m.mu.Lock()
	var model *moderation.Model
	if st := m.events[eventID]; st != nil {
		model = st.model
	}
	m.mu.Unlock()
	if model != nil {
		model.Learn(body, bad)
	}
}

// banned reports whether the participant is banned from the event.
func (m *moderator) banned(ctx context.Context, eventID, participantID int64) (bool, error) {
	m.mu.Lock()
	st := m.events[eventID]
	if st != nil && st.bans != nil && m.now().Sub(st.bansAt) < bansTTL {
		b := st.bans[participantID]
		m.mu.Unlock()
		return b, nil
	}
	m.mu.Unlock()
	ids, err := m.store.BannedParticipants(ctx, eventID)
	if err != nil {
		return false, err
	}
	bans := make(map[int64]bool, len(ids))
	for _, id := range ids {
		bans[id] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if st = m.events[eventID]; st == nil {
		st = &eventModeration{}
		m.events[eventID] = st
	}
	st.bans, st.bansAt = bans, m.now()
	return bans[participantID], nil
}

// forgetBans makes the next ban check read the store.
func (m *moderator) forgetBans(eventID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st := m.events[eventID]; st != nil {
		st.bans = nil
	}
}

// submission is a participant's text on its way in.
type submission struct {
	event       *koe.Event
	talk        *koe.Talk
	kind        koe.ReviewKind
	participant int64
	author      string
	text        string
	// duplicateOK posts a question although it nearly repeats a visible
	// one.
	duplicateOK bool
	// mode is a post's moderation mode (a question's and a reply's is
	// their talk's).
	mode koe.ModerationMode
}

// modeIn is the moderation mode the submission is under.
func (s submission) modeIn() koe.ModerationMode {
	if s.talk != nil {
		return s.talk.Mode(s.event)
	}
	if s.mode == "" {
		return koe.PostModeration
	}
	return s.mode
}

// screened is the pipeline's outcome for a submission: the status and
// text to store, and the review to store with it (nil for none).
type screened struct {
	status koe.Status
	text   string
	review *koe.Review
	// reasons and score are the pipeline's, for a post (the feed shows
	// them with every post, reviewed or not).
	reasons, score json.RawMessage
}

// screen runs the pipeline on a submission. EDUPLICATE when a question
// nearly repeats a visible one (unless duplicateOK).
func (a *Actions) screen(ctx context.Context, s submission) (*screened, error) {
	m := a.mod
	cfg, model := m.pipeline(s.event)
	in := moderation.Input{Text: s.text, Lang: moderation.DetectLang(s.text)}
	if s.participant != 0 {
		recent, err := a.store.RecentTexts(ctx, s.event.ID, s.participant, a.now().Add(-repeatWindow), 20)
		if err != nil {
			return nil, err
		}
		in.Recent = recent
	}
	if s.kind == koe.ReviewQuestion {
		open, err := a.store.OpenQuestionTexts(ctx, s.event.ID, s.talk.ID, duplicateWindow)
		if err != nil {
			return nil, err
		}
		for _, q := range open {
			in.Visible = append(in.Visible, moderation.Existing{ID: q.ID, Body: q.Body})
		}
	}
	sctx, cancel := context.WithTimeout(ctx, screenTimeout)
	v := cfg.Check(sctx, in)
	cancel()
	if v.Duplicate != 0 && !s.duplicateOK && v.Action != moderation.Block {
		similar, err := a.store.Question(ctx, s.event.ID, s.talk.ID, v.Duplicate, 0)
		if err == nil && similar.Public() {
			return nil, &koe.Error{Code: koe.EDUPLICATE, Similar: similar,
				Message: "a question like this was asked already: like it instead, or ask again with duplicate_ok"}
		}
	}
	out := &screened{status: koe.StatusApproved, text: v.Text}
	state := koe.ReviewState("")
	reasons := v.Reasons
	switch {
	case v.Action == moderation.Block:
		out.status, state = koe.StatusRejected, koe.ReviewRejected
	case v.Action == moderation.Queue:
		out.status, state = koe.StatusPending, koe.ReviewPending
	case s.modeIn() == koe.PreModeration:
		out.status, state = koe.StatusPending, koe.ReviewPending
		reasons = append([]moderation.Reason{{Kind: "mode", Name: "pre", Action: moderation.Queue}}, reasons...)
	case v.Action == moderation.Flag:
		state = koe.ReviewFlagged
	case len(reasons) > 0:
		state = koe.ReviewApproved
	}
	m.metrics.decisions.WithLabelValues(outcome(out.status, state), strongest(reasons)).Inc()
	if s.kind == koe.ReviewPost {
		out.reasons, out.score = mustJSON(reasons), mustJSON(model.Judge(s.text))
		if reasons == nil {
			out.reasons = json.RawMessage("[]")
		}
	}
	if state == "" {
		return out, nil
	}
	rev := &koe.Review{EventID: s.event.ID, ParticipantID: s.participant, AuthorName: s.author,
		Body: s.text, State: state, Reasons: mustJSON(reasons), Score: mustJSON(model.Judge(s.text))}
	if s.talk != nil {
		rev.TalkID = s.talk.ID
	}
	if !state.Open() {
		rev.Decision = &koe.ReviewDecision{Decision: state, By: "koe"}
	}
	out.review = rev
	return out, nil
}

// outcome names a pipeline outcome for the decisions metric.
func outcome(status koe.Status, state koe.ReviewState) string {
	switch {
	case status == koe.StatusRejected:
		return "rejected"
	case status == koe.StatusPending:
		return "queued"
	case state == koe.ReviewFlagged:
		return "flagged"
	}
	return "approved"
}

// strongest is the kind of the reason that asked for the strongest
// action, "none" for none.
func strongest(reasons []moderation.Reason) string {
	kind, rank := "none", 0
	for _, r := range reasons {
		if r.Action.Rank() > rank {
			kind, rank = r.Kind, r.Action.Rank()
		}
	}
	return kind
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("act: cannot encode moderation data: " + err.Error())
	}
	return b
}

// screenName checks a display name: one the pipeline would hold or block
// is refused (a name cannot wait for a moderator); masking applies.
func (a *Actions) screenName(ctx context.Context, e *koe.Event, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	cfg, _ := a.mod.pipeline(e)
	names := *cfg
	names.Scorers = nil // scores of a word or two say little
	v := names.Check(ctx, moderation.Input{Text: name, Lang: moderation.DetectLang(name)})
	if v.Action.Rank() >= moderation.Queue.Rank() {
		return "", koe.Invalid("display_name", koe.ReasonRefused, 0, "this display name cannot be used here; choose another")
	}
	return v.Text, nil
}
