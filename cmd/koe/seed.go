package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/ratelimit"
)

// seed creates the demo event used by previews, e2e tests and people
// trying koe. Running it again leaves an existing demo event alone.
func seed(args []string) error {
	c := &config{}
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	storeFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	st, _, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	e, err := seedDemo(ctx, st, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("demo event %q: id %d, join code %s\n", e.Title, e.ID, e.JoinCode)
	return nil
}

const demoSlug = "demo"

type demoTalk struct {
	title, speaker, track string
	startIn               time.Duration // relative to now
	questions             []demoQuestion
}

type demoQuestion struct {
	body     string
	author   string // "" asks anonymously
	likes    int
	answered bool
	reply    string
}

var demoTalks = []demoTalk{
	{"Keynote: koe と作るライブな Q&A", "Aiko Tanaka", "Hall A", -30 * time.Minute, []demoQuestion{
		{"WebSocket と SSE はどう使い分けていますか？", "Ken", 12, false, ""},
		{"How many people can one small node really serve?", "", 9, false, "About ten thousand subscribers per core; see docs/benchmarks.md."},
		{"スライドは後で公開されますか？", "", 7, true, "はい、イベントページに掲載します。"},
		{"What happens to my likes if the Wi-Fi drops?", "Maria", 5, false, ""},
		{"匿名で質問しても名前は表示されませんか？", "", 3, false, ""},
		{"Does it work behind a corporate proxy?", "Tom", 1, false, ""},
	}},
	{"Running Go services on Kubernetes at scale", "Daniel Smith", "Hall B", 30 * time.Minute, []demoQuestion{
		{"How do you size requests and limits?", "Yuki", 4, false, ""},
		{"カナリアリリースの判定には何のメトリクスを使っていますか？", "", 2, false, ""},
	}},
	{"Lightning talks / LT 大会", "", "Hall A", 90 * time.Minute, nil},
}

// seedDemo makes the demo event through the application layer, as koe
// itself (whoever runs koe seed holds the database) and its audience would.
func seedDemo(ctx context.Context, st koe.Store, now time.Time) (*koe.Event, error) {
	a, err := act.New(ctx, act.Config{Store: st, Limits: ratelimit.Rates{}})
	if err != nil {
		return nil, err
	}
	owner := koe.NewContext(ctx, koe.System)
	events, err := a.Events(owner)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if e.Slug == demoSlug {
			return e, nil
		}
	}
	start, end := now.Add(-time.Hour), now.Add(4*time.Hour)
	e, err := a.CreateEvent(owner, act.NewEvent{Slug: demoSlug, Title: "koe demo meetup", TimeZone: "Asia/Tokyo",
		StartsAt: &start, EndsAt: &end, Settings: &koe.EventSettings{ParticipantReplies: true}})
	if err != nil {
		return nil, err
	}
	// A pool of audience members to ask and like, each acting as itself.
	names := []string{"Ken", "Maria", "Tom", "Yuki"}
	audience := make([]context.Context, 16)
	named := map[string]context.Context{}
	for i := range audience {
		in := act.JoinRequest{Code: e.JoinCode}
		if i < len(names) {
			in.DisplayName = names[i]
		}
		j, err := a.Join(ctx, in, act.Credentials{})
		if err != nil {
			return nil, err
		}
		audience[i] = koe.NewContext(ctx, koe.Principal{EventID: e.ID, ParticipantID: j.Participant.ID})
		if in.DisplayName != "" {
			named[in.DisplayName] = audience[i]
		}
	}
	for i, dt := range demoTalks {
		ts, te := now.Add(dt.startIn), now.Add(dt.startIn+50*time.Minute)
		t, err := a.CreateTalk(owner, e.ID, act.NewTalk{Title: dt.title, Speaker: dt.speaker, Track: dt.track, StartsAt: &ts, EndsAt: &te})
		if err != nil {
			return nil, err
		}
		for j, dq := range dt.questions {
			asker, ok := named[dq.author]
			if !ok {
				asker = audience[len(names)+(i*7+j)%(len(audience)-len(names))]
			}
			q, err := a.Ask(asker, e.ID, t.ID, act.NewQuestion{Body: dq.body, Anonymous: dq.author == ""})
			if err != nil {
				return nil, err
			}
			for k := 0; k < dq.likes; k++ {
				if _, err := a.Like(audience[k], e.ID, t.ID, q.ID, true); err != nil {
					return nil, err
				}
			}
			if dq.reply != "" {
				if _, err := a.Reply(owner, e.ID, t.ID, q.ID, act.NewReply{AuthorName: dt.speaker, Body: dq.reply}); err != nil {
					return nil, err
				}
			}
			if dq.answered {
				yes := true
				if _, err := a.UpdateQuestion(owner, e.ID, t.ID, q.ID, act.QuestionPatch{Answered: &yes}); err != nil {
					return nil, err
				}
			}
		}
	}
	return e, nil
}
