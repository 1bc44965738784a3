package moderation

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// benchQuestions are the mix a talk's Q&A sees: English and Japanese,
// short and long, a few links, a few that the lists catch.
var benchQuestions = []string{
	"How do you test concurrency in Go without flaky sleeps?",
	"What made you choose SQLite over PostgreSQL for the single-node mode?",
	"Is there a recording of this talk?",
	"Can you share the slides? https://example.com/slides",
	"How does the scheduler handle goroutines that block on syscalls?",
	"Any plans to support WebTransport?",
	"What's the p99 latency you measured under load, and on what hardware?",
	"How do you roll back a bad migration in production?",
	"Thanks for the great talk!",
	"Do you use feature flags, and how do you clean them up?",
	"How do you keep the OpenAPI document and the handlers from drifting apart?",
	"What was the hardest bug you found with the fuzzer?",
	"This is fucking brilliant, where can I read more?",
	"Why not gRPC?",
	"How big is the team that maintains this?",
	"Is the learned scorer trained per event, and how fast does it adapt?",
	"How do you handle clock skew between replicas?",
	"Would you recommend this approach for a team of three?",
	"What happens when Redis goes down in the scaled mode?",
	"Can you compare it with Kafka for the fan-out part? See www.example.org and https://example.net/x",
	"ｆｕｃｋ this is slow",
	"How do you measure memory per WebSocket connection?",
	"What's your view on generics two years in?",
	"Did you try io_uring for the network path?",
	"How do you onboard new contributors to the codebase?",
	"Goの並行処理はどうテストしていますか？",
	"アサーションはどう書きますか",
	"本番環境でのマイグレーションのロールバック手順を教えてください。",
	"発表資料は公開されますか？",
	"SQLiteとPostgreSQLの使い分けの基準は何でしょうか。",
	"WebSocketの接続数はどこまでスケールしましたか？",
	"Reactのフックはどう使い分けていますか",
	"INSERT文でデータを挿入するときのロックの扱いは？",
	"チームの人数と役割分担を教えてください",
	"負荷試験のツールは何を使いましたか？ https://example.jp/bench",
	"このクソコードはどうリファクタリングしますか",
	"障害発生時のオンコール体制はどうなっていますか？",
	"型の縛りがきつい場合はどうしていますか",
	"ありがとうございました！",
	"ｾｯｸｽという単語はフィルタされますか",
	"学習型のスコアラーはイベントごとに学習するのですか？それとも全体で共有しますか？",
	"Redisが落ちたときの挙動はどうなりますか",
	"日本語の形態素解析にはkagomeを使っていますか？",
	"次のバージョンのロードマップはありますか",
	"コードレビューで一番気をつけていることは何ですか",
	"すごーーーーーい！ｗｗｗｗｗｗ",
	"Kubernetesのどのディストリビューションで動かしていますか",
	"OpenAPIの定義とハンドラのずれをどう防いでいますか",
	"デブサミでも同じ話をされますか？",
	"監視ダッシュボードのスクリーンショットを見せてもらえますか",
}

func benchConfig() (*Config, []Existing, []string) {
	c := &Config{
		Words:    EventWords(true, []WordRule{{"クソ", Mask}, {"spam", Block}}, []string{"Dick Grune"}),
		MaxLinks: 1,
	}
	var visible []Existing
	for i, q := range benchQuestions[:20] {
		visible = append(visible, Existing{ID: int64(i + 1), Body: q})
	}
	recent := benchQuestions[40:43]
	return c, visible, recent
}

// BenchmarkPipeline checks the mix, one text per op, against 20 visible
// questions and 3 recent texts, without scorers.
func BenchmarkPipeline(b *testing.B) {
	c, visible, recent := benchConfig()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q := benchQuestions[i%len(benchQuestions)]
		c.Check(ctx, Input{Text: q, Lang: DetectLang(q), Recent: recent, Visible: visible})
		i++
	}
}

// BenchmarkWords is the word lists alone.
func BenchmarkWords(b *testing.B) {
	wl := ShippedWords()
	i := 0
	for b.Loop() {
		wl.Match(Normalize(benchQuestions[i%len(benchQuestions)]))
		i++
	}
}

// TestPipelineP99 measures the p99 of one check with koe's learned
// scorer, as every event runs it (KOE_BENCH=1; make bench calls it):
// 20000 checks of the mix on one goroutine.
func TestPipelineP99(t *testing.T) {
	if os.Getenv("KOE_BENCH") != "1" {
		t.Skip("a measurement, not a test: set KOE_BENCH=1")
	}
	c, visible, recent := benchConfig()
	c.Scorers = []NamedScorer{{Name: "koe", Scorer: Shipped()}}
	ctx := context.Background()
	c.Check(ctx, Input{Text: benchQuestions[0]}) // the first call builds tables
	const n = 20000
	durs := make([]time.Duration, n)
	for i := range n {
		q := benchQuestions[i%len(benchQuestions)]
		start := time.Now()
		c.Check(ctx, Input{Text: q, Lang: DetectLang(q), Recent: recent, Visible: visible})
		durs[i] = time.Since(start)
	}
	slices.Sort(durs)
	p99 := durs[n*99/100]
	fmt.Printf("# moderation pipeline: %d checks of %d texts against %d visible questions and %d recent texts, learned scorer in process\n",
		n, len(benchQuestions), len(visible), len(recent))
	fmt.Printf("moderation_pipeline_p50_us=%.1f\nmoderation_pipeline_p99_us=%.1f\n",
		float64(durs[n/2].Nanoseconds())/1e3, float64(p99.Nanoseconds())/1e3)
}
