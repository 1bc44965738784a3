#!/usr/bin/env python3
"""Generate questions.tsv, koe's labelled corpus for the learned scorer.

Synthetic, written for koe: hand-written texts plus hand-written fragments
combined by fixed templates, in the register of a tech meetup's audience
Q&A. Deterministic (fixed seed): running it again gives the same file.

    python3 moderation/corpus/gen.py > moderation/corpus/questions.tsv

Labels: good = a real question or remark about a talk; bad = abuse of the
speaker or others, harassment, sexual remarks, spam and ads, off-topic
trolling. Profanity about code, bugs or systems is good ("this bug killed
our prod", "クソコードをどうリファクタしますか"); aimed at a person it is bad.
"""
import random
import sys

rng = random.Random(20261201)
rows = []  # (label, lang, text)


def add(label, lang, texts):
    for t in texts:
        rows.append((label, lang, t))


def combos(frames, fills, n):
    """n distinct texts, each a frame filled from the fills it names."""
    out = set()
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        f = rng.choice(frames)
        out.add(f.format(**{k: rng.choice(v) for k, v in fills.items()}))
    return sorted(out)


# ---------------------------------------------------------------- English, good
EN_GOOD = [
    "Will the slides be published after the talk?",
    "Is there a recording of this session?",
    "Where can I find the code from the demo?",
    "Is the demo repository public on GitHub?",
    "Could you go back to the slide with the architecture diagram?",
    "What was the name of the library on slide 12?",
    "This bug killed our prod for a whole day last year. How did you find the root cause?",
    "Our deploys suck right now. Where would you start?",
    "How do you kill a goroutine that is stuck on a blocking read?",
    "What's the dumbest mistake you made while migrating to Kubernetes?",
    "How do you deal with legacy code that has zero tests?",
    "Isn't this approach a bit of a hack? What happens when the schema changes?",
    "I disagree a little: wouldn't a monolith be simpler at your size?",
    "Our legacy code is total crap. How do we start refactoring without breaking everything?",
    "The flaky tests are killing us. Any tips for finding them?",
    "Why did the first version fail so badly?",
    "What did you do when the database died in the middle of the migration?",
    "How do you handle on-call burnout on a small team?",
    "What metrics tell you the cache is hurting more than helping?",
    "Did you hit any problems with garbage collection pauses?",
    "How long did the whole migration take, end to end?",
    "How big is the team that maintains this?",
    "Would you recommend this setup for a startup with three engineers?",
    "What would you do differently if you started again today?",
    "How do you convince management to pay down tech debt?",
    "How do you review pull requests that are thousands of lines long?",
    "Do you run chaos experiments in production or only in staging?",
    "How do you test code that depends on the current time?",
    "What's your rollback plan when a feature flag misbehaves?",
    "Can you share the benchmark numbers you mentioned?",
    "How did you measure the latency improvement?",
    "Is p99 latency the right metric here, or would you look at p999?",
    "How do you keep the documentation in sync with the code?",
    "Any book recommendations for someone new to distributed systems?",
    "How did you get into open source as a beginner?",
    "What does a typical day look like for an SRE on your team?",
    "How do you interview for senior backend roles?",
    "Is it worth learning Rust if I already know Go?",
    "What's the hardest part of moving from frontend to backend?",
    "How do you stay up to date without burning out?",
    "Thanks for the great talk! How did you get buy-in from other teams?",
    "Great talk. Could you say more about the failure modes?",
    "Sorry if I missed it: which version of Postgres are you on?",
    "Can you explain the difference between the two approaches again?",
    "Are you hiring?",
    "Do you have a blog post that goes into more detail?",
    "How do you handle time zones in the scheduler?",
    "How does this work with right-to-left languages?",
    "What happens if two users edit the same record at the same time?",
    "How do you stop a single noisy tenant from hurting everyone else?",
    "That outage sounded brutal. What alert would have caught it earlier?",
    "Why is the error handling in Go so verbose, and does it bother your team?",
    "Our Kafka cluster keeps dying under load. Is that a partition count problem?",
    "How do you debug a memory leak that only shows up after a week?",
    "What was the worst incident you had with this system?",
    "Do you think microservices were a mistake for most companies?",
    "Is this stupid simple approach really enough in production?",
    "Our CI takes 40 minutes and it drives me crazy. Where do we cut first?",
    "How do you say no to features without killing team morale?",
    "What's the attack surface of the plugin system?",
    "How do you rotate secrets without downtime?",
    "Can the model be fooled by adversarial inputs?",
    "How do you evaluate an LLM feature before shipping it?",
    "What's your strategy for prompt injection?",
    "How much did the GPU bill come to?",
    "Does the approach still work offline?",
    "How accessible is the UI for screen reader users?",
    "Did you try server-side rendering, and why did you drop it?",
    "What's the bundle size after the rewrite?",
    "How do you decide when to write a design doc?",
    "Can you repeat the question from the last person? We couldn't hear it at the back.",
    "The mic is a bit quiet, could you speak up?",
    "How do you handle the hate you get on social media for open source decisions?",
    "People called your library garbage on Hacker News. How did you react?",
    "What would you say to someone who thinks this whole approach is dead?",
    "Is it true that Kubernetes is overkill for small teams?",
    "Great talk!",
    "Thanks, that was really useful!",
    "Awesome demo!",
    "Loved the live coding part!",
    "Amazing, thank you!",
    "+1 to the previous question",
    "Same question as above, but for Windows?",
    "Can you zoom in on the code?",
    "Slides please!",
    "Is there an after-party for attendees?",
    "What's your favourite editor for Go?",
    "Which keyboard do you use for all that typing?",
    "Is lunch included in the ticket?",
    "Is kill -9 ever OK in production?",
    "Why port 8080 and not 443?",
    "Did you try GOMAXPROCS=1 for the benchmark?",
    "Is 10k requests per second per pod realistic?",
    "What about the loop variable change in Go 1.22?",
    "Do you test SIGTERM handling?",
    "How did you get p99 from 800 ms down to 40 ms?",
    "Is 2 GB of memory per pod enough for this?",
    "OK, but what about Windows?",
    "Really cool! Is it open source?",
    "Wow, 3x faster! What was the main change?",
    "Which cloud region are you running in?",
    "Can I use this with SQLite?",
    "Does it support Python 3.13?",
    "I think your benchmark methodology is flawed: did you warm up the cache first?",
    "Honest question: why not just use a cron job?",
    "Hot take: isn't this just a queue with extra steps?",
    "Who maintains this when you leave the company?",
    "Why should we trust the vendor with our data?",
    "This looks painful to operate. What's the on-call load?",
    "Why is everyone moving away from microservices now?",
    "Is it dead simple to self-host?",
    "Could you share the link in the chat?",
    "Is the speaker on Mastodon or Bluesky?",
    "Where can I follow your work?",
    "Which talk would you recommend next?",
    "Will you be at the booth later for questions?",
    "Question for the speaker: how does your company run this?",
    "What was the hardest part for the speaker personally?",
    "Could the speaker recommend a book on this?",
    "Which editor does the presenter use?",
    "Lovely slide design, which tool did you use?",
    "Question for both speakers: who writes the tests?",
]

EN_TOPICS = [
    "Go generics", "goroutine leaks", "context cancellation", "the Go scheduler", "Go modules in a monorepo",
    "Kubernetes operators", "Helm charts", "pod autoscaling", "service meshes", "Kubernetes network policies",
    "Postgres vacuum", "database migrations", "read replicas", "connection pooling", "sharding",
    "Redis eviction", "Kafka consumer lag", "event sourcing", "CQRS", "outbox tables",
    "React server components", "state management", "CSS containers", "web components", "TypeScript strict mode",
    "feature stores", "model drift", "embedding search", "fine-tuning small models", "RAG pipelines",
    "OpenTelemetry tracing", "structured logging", "SLOs", "error budgets", "canary releases",
    "WebAssembly", "gRPC streaming", "GraphQL federation", "rate limiting", "idempotency keys",
    "flaky tests", "property-based testing", "fuzzing", "contract tests", "load testing",
    "zero-downtime deploys", "blue-green deployments", "secret management", "SBOMs", "supply chain security",
]
EN_VERBS = ["test", "debug", "monitor", "roll out", "roll back", "document", "benchmark", "secure",
            "scale", "migrate", "onboard people to", "budget for", "explain to management"]
EN_ROLES = ["a junior developer", "a frontend engineer", "a data scientist", "a QA engineer", "a student",
            "a career changer", "a team lead", "someone from support"]
EN_FIELDS = ["backend work", "platform engineering", "machine learning", "security", "SRE", "open source",
             "engineering management", "developer relations"]
EN_GOOD_FRAMES = [
    "How do you {verb} {topic}?",
    "How do you {verb} {topic} in a large team?",
    "What's the biggest pitfall with {topic}?",
    "Would you use {topic} again?",
    "How does {topic} fit with {topic2}?",
    "Why did you pick {topic} over {topic2}?",
    "Did you consider {topic2} instead of {topic}?",
    "What broke first when you introduced {topic}?",
    "Any good resources to learn {topic}?",
    "Is {topic} worth it for a small service?",
    "How long did it take to {verb} {topic}?",
    "Any advice for {role} moving into {field}?",
    "As {role}, how should I start with {topic}?",
    "What changed in your on-call after adopting {topic}?",
    "Do you have numbers on how {topic} affected latency?",
    "How do you {verb} {topic} without downtime?",
]

# ---------------------------------------------------------------- English, bad
EN_BAD = [
    "You clearly have no idea what you're talking about.",
    "Worst talk of the day. Get off the stage.",
    "Who let this clown speak?",
    "Are you even a real engineer?",
    "Boring. Nobody cares about your stupid project.",
    "This guy is an idiot.",
    "Shut up and sit down already.",
    "What a waste of everyone's time.",
    "You should be embarrassed to present this garbage.",
    "Nobody here wants to listen to you.",
    "Maybe let someone competent give this talk next year.",
    "I've seen interns with more clue than you.",
    "Is this a joke? Did you write these slides on the train?",
    "Please stop talking, you are painful to listen to.",
    "Your company must be desperate to send you.",
    "Hey speaker, what's your phone number?",
    "You're cute, are you single?",
    "Nice outfit. Wanna get a drink after this, just the two of us?",
    "Can the speaker turn around so we can see her better?",
    "Forget the slides, show us more skin ;)",
    "The speaker is hot, that's the only reason I'm still here.",
    "Send me your Instagram, beautiful.",
    "Women shouldn't be doing backend anyway.",
    "Go back to where you came from.",
    "People with your accent shouldn't be giving talks.",
    "first!!!",
    "lol",
    "asdfghjkl",
    "vim > emacs, fight me",
    "Who's winning the game tonight?",
    "Can we talk about pineapple pizza instead?",
    "Is anyone else here just for the free pizza?",
    "test test is this thing on",
    "hello from the back row, I'm bored",
    "This Q&A tool is dumb, let me spam it.",
    "The guy in the red shirt in row 3 smells.",
    "Whoever asked the last question is a moron.",
    "The previous speaker was garbage and so are you.",
    "I know where you live.",
    "You'd better watch your back after this talk.",
    "Everyone who uses Go is a brainless sheep.",
    "Only losers still write JavaScript.",
    "Your code is as ugly as your face.",
    "Fire this guy.",
    "BUY FOLLOWERS NOW",
    "Earn $5000 a week from home, DM me!",
    "Join my crypto signals group, 300% guaranteed returns",
    "Free airdrop! Connect your wallet at the link in my bio",
    "Best cheap SEO services, visit my site for a discount",
    "I make $20k a month with this one trick, ask me how",
    "Hot singles in your area are waiting",
    "Cheap essay writing service, fast delivery",
    "Check out my dropshipping course, 50% off today only",
    "Follow me for follow back, 100% real",
]
EN_INSULT_TARGET = ["you", "this speaker", "this guy", "the presenter", "this lady", "the organisers",
                    "whoever invited you", "the person who asked that"]
EN_INSULT = ["an idiot", "a clown", "a total fraud", "a joke", "useless", "a moron", "clueless",
             "an embarrassment", "a loser", "pathetic", "brain dead", "a complete dumbass"]
EN_BAD_FRAMES = [
    "Honestly, {target} is {insult}.",
    "Is it just me or is {target} {insult}?",
    "{target_cap} is {insult}, change the speaker.",
    "lol {target} is {insult}",
    "Everyone can see {target} is {insult}.",
    "Why is {target} allowed on stage? {insult_cap}.",
]
EN_SPAM_OFFER = ["Buy 10k Instagram followers", "Get 1000 real likes", "Double your Bitcoin in 24 hours",
                 "Earn passive income with NFTs", "Make $300 a day working from home", "Win a free iPhone",
                 "Cheap Ray-Ban sunglasses", "Get rich with forex signals", "Lose 10 kg in a week",
                 "Buy GitHub stars for your repo", "Invest in the next 100x memecoin"]
EN_SPAM_CTA = ["DM me now", "link in bio", "visit cheap-followers dot biz", "only $9.99 today",
               "limited offer, act fast", "message me on Telegram", "join my Discord", "use promo code KOE"]
EN_SPAM_FRAMES = ["{offer}! {cta}", "{offer} - {cta}", "{offer_up}!!! {cta}", "Want to {offer_low}? {cta}"]
EN_CREEP = ["Hey {who}, you look amazing today, what's your number?",
            "{who_cap}, are you single? Asking for me.",
            "Forget Kubernetes, {who}, let's talk about your body.",
            "{who_cap} is so sexy I can't focus on the slides.",
            "Can {who} take off the jacket? It's hot in here ;)",
            "Wanna come to my hotel room after the talk, {who}?",
            "{who_cap} should smile more, it's prettier."]
EN_WHO = ["speaker", "cutie", "babe", "sweetheart", "gorgeous", "the girl on stage", "honey"]
EN_TROLL = ["What's everyone having for lunch?", "Who else is here only for the stickers?",
            "Does anyone know a good ramen place nearby?", "Can someone lend me a phone charger?",
            "Reply if you're also asleep", "nobody reads these questions anyway", "ping", "????",
            "Tabs or spaces? Wrong answers only.", "The earth is flat, change my mind.",
            "Can we vote to end this early?", "I'm just here to mess with the Q&A",
            "Upvote this if you want the speaker to stop", "Which team won the football yesterday?",
            "Who wants to go to the bar instead?", "hahahahaha", "zzzzzz", "meow", "spam spam spam spam"]

# ---------------------------------------------------------------- Japanese, good
JA_GOOD = [
    "スライドは公開されますか？",
    "発表資料はどこで見られますか？",
    "録画は後で公開されますか？",
    "デモのコードはGitHubにありますか？",
    "アーキテクチャ図のスライドにもう一度戻っていただけますか？",
    "12枚目のスライドのライブラリ名を教えてください。",
    "クソコードをどうリファクタしますか？",
    "テストのないクソコードを引き継いだとき、最初に何をしますか？",
    "このバグで本番が死んだ話、もう少し詳しく聞きたいです。",
    "本番障害のとき、どうやって原因を切り分けましたか？",
    "炎上プロジェクトから抜け出すコツはありますか？",
    "デスマーチにならないために何をしていますか？",
    "ヤバいレガシーコードに手を入れる時の心構えを教えてください。",
    "このアプローチはちょっと力技に見えますが、スキーマが変わったらどうなりますか？",
    "正直モノリスの方がシンプルではないかと思うのですが、どうでしょうか？",
    "フレーキーなテストに殺されそうです。見つけ方のコツはありますか？",
    "最初のバージョンはなぜ失敗したのですか？",
    "移行の途中でDBが落ちたときはどうしましたか？",
    "少人数チームでのオンコール疲れにはどう対処していますか？",
    "キャッシュが逆効果になっていると判断する指標は何ですか？",
    "GCの停止時間で困ったことはありますか？",
    "移行全体でどれくらいの期間がかかりましたか？",
    "これをメンテナンスしているチームは何人くらいですか？",
    "エンジニア3人のスタートアップにもおすすめできますか？",
    "今からやり直すとしたら何を変えますか？",
    "技術的負債の返済をマネージャーにどう説得していますか？",
    "数千行のプルリクエストはどうレビューしていますか？",
    "カオスエンジニアリングは本番でやっていますか？",
    "現在時刻に依存するコードはどうテストしていますか？",
    "フィーチャーフラグが暴走したときのロールバック手順は？",
    "ベンチマークの数値を共有していただけますか？",
    "レイテンシの改善はどう計測しましたか？",
    "ドキュメントとコードの同期はどう保っていますか？",
    "分散システム初心者におすすめの本はありますか？",
    "未経験からOSSにコントリビュートするにはどうすればいいですか？",
    "SREの一日の流れを教えてください。",
    "シニアのバックエンドエンジニアの面接では何を見ていますか？",
    "Goを書けるならRustも学ぶ価値はありますか？",
    "フロントエンドからバックエンドに移るときに一番大変だったことは？",
    "燃え尽きずに最新技術を追うコツはありますか？",
    "素晴らしい発表ありがとうございました！他チームの合意はどう取りましたか？",
    "聞き逃していたらすみません、Postgresのバージョンは何ですか？",
    "二つのアプローチの違いをもう一度説明していただけますか？",
    "採用はしていますか？",
    "詳しいブログ記事はありますか？",
    "スケジューラでタイムゾーンはどう扱っていますか？",
    "同じレコードを二人が同時に編集したらどうなりますか？",
    "一部のテナントが重いとき、他への影響はどう防いでいますか？",
    "あの障害はかなりキツそうでしたが、どんなアラートがあれば早く気づけましたか？",
    "Goのエラーハンドリングが冗長なのはチームで不満になりませんか？",
    "負荷をかけるとKafkaが死ぬのですが、パーティション数の問題でしょうか？",
    "一週間後にだけ出るメモリリークはどうデバッグしますか？",
    "このシステムで一番ひどかったインシデントは何ですか？",
    "マイクロサービスは多くの会社にとって失敗だったと思いますか？",
    "CIが40分かかって発狂しそうです。どこから削るべきですか？",
    "機能を断るとき、チームの士気を下げないためにどうしていますか？",
    "プラグイン機構の攻撃面はどう考えていますか？",
    "ダウンタイムなしでシークレットをローテーションする方法は？",
    "LLMの機能をリリース前にどう評価していますか？",
    "プロンプトインジェクション対策はどうしていますか？",
    "GPUの費用はどれくらいかかりましたか？",
    "スクリーンリーダーへの対応はどうしていますか？",
    "SSRを試してやめた理由は何ですか？",
    "書き直し後のバンドルサイズはどれくらいですか？",
    "設計ドキュメントを書くかどうかはどう判断していますか？",
    "後ろの席まで聞こえなかったので、さっきの質問を繰り返していただけますか？",
    "マイクの音が小さいので、もう少し大きな声でお願いします。",
    "OSSの方針でSNSで叩かれたとき、どう向き合っていますか？",
    "Hacker Newsでゴミと言われたとき、どう反応しましたか？",
    "Kubernetesは小さいチームにはオーバーキルというのは本当ですか？",
    "新卒でもいきなりSREになれますか？",
    "地方在住でもリモートで働けますか？",
    "英語が苦手でも海外カンファレンスで登壇できますか？",
    "勉強会で登壇するための最初の一歩は何がいいですか？",
    "この仕組みはオフラインでも動きますか？",
    "最高の発表でした！",
    "ありがとうございます！とても参考になりました",
    "デモすごい！",
    "ライブコーディング良かったです！",
    "上の質問に+1です",
    "上と同じ質問ですが、Windowsではどうですか？",
    "コードを拡大していただけますか？",
    "スライドください！",
    "懇親会はありますか？",
    "普段使っているエディタは何ですか？",
    "キーボードは何を使っていますか？",
    "お昼ごはんはチケットに含まれますか？",
    "本番でkill -9しても大丈夫な場面はありますか？",
    "443ではなく8080番ポートにした理由は？",
    "ベンチマークでGOMAXPROCS=1は試しましたか？",
    "Podあたり1万RPSは現実的ですか？",
    "Go 1.22のループ変数の変更の影響はありましたか？",
    "SIGTERMの処理はテストしていますか？",
    "p99を800msから40msにどうやって下げたんですか？",
    "Podあたりメモリ2GBで足りますか？",
    "すごい！これはOSSですか？",
    "3倍速くなったのはすごいですね！主な変更点は？",
    "どのリージョンで動かしていますか？",
    "SQLiteでも使えますか？",
    "Python 3.13には対応していますか？",
    "ベンチマークの方法に疑問があります。キャッシュのウォームアップはしましたか？",
    "素朴な疑問ですが、cronじゃダメなんですか？",
    "辛口ですが、これって余計な手順の付いたキューでは？",
    "あなたが退職したら誰がメンテするんですか？",
    "ベンダーにデータを預けて大丈夫なんですか？",
    "運用が辛そうに見えますが、オンコールの負荷はどうですか？",
    "最近みんながマイクロサービスから離れているのはなぜですか？",
    "セルフホストは簡単ですか？",
    "リンクをチャットに貼っていただけますか？",
    "登壇者さんはMastodonやBlueskyをやっていますか？",
    "どこで活動を追えますか？",
    "次におすすめのセッションはどれですか？",
    "後でブースで質問してもいいですか？",
    "めちゃくちゃ分かりやすかったです！",
    "神発表でした、ありがとうございました",
    "登壇者さんの会社ではこれをどう運用していますか？",
    "登壇者さんが一番苦労したのはどこですか？",
    "登壇者さんのおすすめの本を教えてください",
    "発表者の方はどのエディタを使っていますか？",
    "登壇者さんのスライドのデザインが素敵でした。ツールは何ですか？",
    "お二人の登壇者に質問です。テストはどちらが書きますか？",
]
JA_TOPICS = [
    "Goのジェネリクス", "goroutineリーク", "contextのキャンセル", "Goのスケジューラ", "モノレポでのGo modules",
    "Kubernetesのオペレーター", "Helmチャート", "Podのオートスケール", "サービスメッシュ", "NetworkPolicy",
    "PostgreSQLのVACUUM", "DBマイグレーション", "リードレプリカ", "コネクションプール", "シャーディング",
    "Redisのエビクション", "Kafkaのコンシューマーラグ", "イベントソーシング", "CQRS", "アウトボックスパターン",
    "React Server Components", "状態管理", "コンテナクエリ", "Web Components", "TypeScriptのstrictモード",
    "特徴量ストア", "モデルのドリフト", "ベクトル検索", "小さいモデルのファインチューニング", "RAG",
    "OpenTelemetryのトレース", "構造化ログ", "SLO", "エラーバジェット", "カナリアリリース",
    "WebAssembly", "gRPCのストリーミング", "GraphQLフェデレーション", "レート制限", "冪等キー",
    "フレーキーテスト", "プロパティベーステスト", "ファジング", "契約テスト", "負荷試験",
    "無停止デプロイ", "ブルーグリーンデプロイ", "シークレット管理", "SBOM", "サプライチェーンセキュリティ",
]
JA_VERBS = ["テスト", "デバッグ", "監視", "導入", "ロールバック", "ドキュメント化", "ベンチマーク", "移行", "運用", "教育"]
JA_ROLES = ["新卒エンジニア", "フロントエンドエンジニア", "データサイエンティスト", "QAエンジニア", "学生",
            "未経験からの転職者", "チームリーダー", "インフラ担当"]
JA_FIELDS = ["バックエンド", "プラットフォームエンジニアリング", "機械学習", "セキュリティ", "SRE", "OSS活動",
             "エンジニアリングマネジメント", "DevRel"]
JA_GOOD_FRAMES = [
    "{topic}はどう{verb}していますか？",
    "大きなチームで{topic}をどう{verb}していますか？",
    "{topic}の一番の落とし穴は何ですか？",
    "{topic}はまた採用しますか？",
    "{topic}と{topic2}はどう組み合わせていますか？",
    "{topic2}ではなく{topic}を選んだ理由は？",
    "{topic}の代わりに{topic2}は検討しましたか？",
    "{topic}を入れて最初に壊れたのは何でしたか？",
    "{topic}を学ぶおすすめの資料はありますか？",
    "小さなサービスでも{topic}は価値がありますか？",
    "{topic}の{verb}にはどれくらいかかりましたか？",
    "{role}が{field}に移るためのアドバイスはありますか？",
    "{role}として{topic}を始めるなら何からがいいですか？",
    "{topic}を導入してオンコールはどう変わりましたか？",
    "{topic}でレイテンシがどう変わったか数字はありますか？",
    "{topic}を無停止で{verb}する方法はありますか？",
]

# ---------------------------------------------------------------- Japanese, bad
JA_BAD = [
    "話がつまらない、帰れ",
    "お前何も分かってないだろ",
    "誰がこいつを登壇させたんだ",
    "本当にエンジニアなの？",
    "退屈。誰も興味ないよ",
    "こいつバカだろ",
    "黙って座れ",
    "時間の無駄",
    "こんなゴミ発表してて恥ずかしくないの？",
    "誰もお前の話なんて聞きたくない",
    "来年はもっとまともな人に話させて",
    "インターンの方がまだマシ",
    "これ冗談？電車でスライド作ったの？",
    "もう喋らないで、聞いてて苦痛",
    "会社もよくこんな人を送り出したね",
    "登壇者さん、電話番号教えて",
    "可愛いですね、彼氏いますか？",
    "その服いいね、終わったら二人で飲みに行かない？",
    "登壇者ブスすぎて内容が入ってこない",
    "スライドよりもっと肌見せて",
    "登壇者がエロいから聞いてるだけ",
    "インスタ教えてよ、美人さん",
    "女にバックエンドは無理",
    "国に帰れ",
    "その訛りで登壇するなよ",
    "一番乗り！",
    "草",
    "ああああああ",
    "wwwwwwww",
    "今日の晩ごはん何にする？",
    "それよりアニメの話しようぜ",
    "ピザ目当てで来た人いる？",
    "テストテスト、これ映ってる？",
    "後ろの席から失礼、暇すぎる",
    "このQ&Aツールしょぼいから荒らすわ",
    "3列目の赤い服の人くさい",
    "さっき質問したやつアホすぎ",
    "前の登壇者もゴミだったけどお前もだな",
    "お前の家知ってるからな",
    "発表終わったら覚えとけよ",
    "Go使ってる奴はみんな脳みそ空っぽ",
    "まだJavaScript書いてる奴は負け組",
    "コードも顔も汚いね",
    "こいつクビにしろ",
    "フォロワー買えます！今すぐDMへ",
    "副業で月収100万円！詳しくはプロフのリンクへ",
    "仮想通貨で簡単に稼げるグループに参加しませんか",
    "無料エアドロップ実施中、ウォレットを接続してね",
    "格安SEO対策、今ならお試し無料",
    "スマホ1台で日給3万円、LINE登録はこちら",
    "近所の出会いを探すならこのアプリ",
    "レポート代行、即日納品します",
    "せどり講座、今日だけ半額",
    "相互フォロー募集中、100%フォロバします",
]
JA_TARGET = ["お前", "こいつ", "この登壇者", "発表者", "この女", "運営", "こいつを呼んだ奴", "さっき質問した奴"]
JA_INSULT = ["バカ", "アホ", "無能", "ゴミ", "ポンコツ", "詐欺師", "素人", "カス", "役立たず", "恥さらし"]
JA_BAD_FRAMES = [
    "正直{target}は{insult}",
    "{target}って{insult}じゃない？",
    "{target}は{insult}だから登壇者変えて",
    "{target}{insult}すぎて草",
    "誰が見ても{target}は{insult}",
    "なんで{target}みたいな{insult}が壇上にいるの",
]
JA_SPAM_OFFER = ["インスタのフォロワー1万人", "いいね1000件", "ビットコインが24時間で2倍", "NFTで不労所得",
                 "在宅で日給3万円", "iPhoneが当たるキャンペーン", "FXのサインで億り人", "1週間で10kg痩せるサプリ",
                 "GitHubのスター購入", "次の100倍ミームコイン", "副業で月収50万円"]
JA_SPAM_CTA = ["今すぐDM", "プロフのリンクから", "LINE登録で特典", "今日だけ980円", "先着100名限定",
               "Telegramで連絡して", "Discordに参加", "クーポンコードKOEで割引"]
JA_SPAM_FRAMES = ["{offer}！{cta}", "【限定】{offer}、{cta}", "{offer}が欲しい人は{cta}", "誰でも簡単に{offer}！{cta}"]
JA_CREEP = ["{who}、今日めっちゃ可愛いね、連絡先教えて",
            "{who}って彼氏いるの？",
            "Kubernetesとかどうでもいいから{who}の体の話しよう",
            "{who}がセクシーすぎてスライドに集中できない",
            "{who}、上着脱いでよ、暑いでしょ",
            "発表終わったら{who}とホテル行きたい",
            "{who}はもっと笑った方が可愛いよ"]
JA_WHO = ["登壇者さん", "お姉さん", "発表者ちゃん", "美人さん", "壇上の子", "そこの女性", "きみ"]
JA_TROLL = ["みんな昼ごはん何食べた？", "ステッカー目当ての人いる？", "近くに美味しいラーメン屋ある？",
            "誰か充電器貸して", "寝てる人いたら返信して", "どうせ誰もこの質問読んでない", "ping", "？？？？",
            "タブ派？スペース派？間違った答えだけ", "地球は平らだよ、反論どうぞ", "早く終わらせようぜ",
            "Q&A荒らしに来ただけ", "登壇者に辞めてほしい人はいいねして", "昨日のサッカーどっちが勝った？",
            "飲みに行きたい人集合", "はははははは", "ねむい", "にゃーん", "うんこ"]


def fills_en():
    return {"topic": EN_TOPICS, "topic2": EN_TOPICS, "verb": EN_VERBS, "role": EN_ROLES, "field": EN_FIELDS}


def fills_ja():
    return {"topic": JA_TOPICS, "topic2": JA_TOPICS, "verb": JA_VERBS, "role": JA_ROLES, "field": JA_FIELDS}


def main():
    add("good", "en", EN_GOOD)
    add("good", "en", combos(EN_GOOD_FRAMES, fills_en(), 160))
    add("bad", "en", EN_BAD)
    caps = lambda s: s[:1].upper() + s[1:]
    ins = set()
    while len(ins) < 60:
        t, i = rng.choice(EN_INSULT_TARGET), rng.choice(EN_INSULT)
        ins.add(rng.choice(EN_BAD_FRAMES).format(target=t, target_cap=caps(t), insult=i, insult_cap=caps(i)))
    add("bad", "en", sorted(ins))
    spam = set()
    while len(spam) < 50:
        o, c = rng.choice(EN_SPAM_OFFER), rng.choice(EN_SPAM_CTA)
        spam.add(rng.choice(EN_SPAM_FRAMES).format(offer=o, cta=c, offer_up=o.upper(), offer_low=o[:1].lower() + o[1:]))
    add("bad", "en", sorted(spam))
    creep = set()
    while len(creep) < 30:
        w = rng.choice(EN_WHO)
        creep.add(rng.choice(EN_CREEP).format(who=w, who_cap=caps(w)))
    add("bad", "en", sorted(creep))
    add("bad", "en", EN_TROLL)

    add("good", "ja", JA_GOOD)
    add("good", "ja", combos(JA_GOOD_FRAMES, fills_ja(), 160))
    add("bad", "ja", JA_BAD)
    ins = set()
    while len(ins) < 60:
        ins.add(rng.choice(JA_BAD_FRAMES).format(target=rng.choice(JA_TARGET), insult=rng.choice(JA_INSULT)))
    add("bad", "ja", sorted(ins))
    spam = set()
    while len(spam) < 50:
        spam.add(rng.choice(JA_SPAM_FRAMES).format(offer=rng.choice(JA_SPAM_OFFER), cta=rng.choice(JA_SPAM_CTA)))
    add("bad", "ja", sorted(spam))
    creep = set()
    while len(creep) < 30:
        creep.add(rng.choice(JA_CREEP).format(who=rng.choice(JA_WHO)))
    add("bad", "ja", sorted(creep))
    add("bad", "ja", JA_TROLL)

    seen = set()
    out = []
    for label, lang, text in rows:
        assert "\t" not in text and "\n" not in text, text
        if text in seen:
            continue
        seen.add(text)
        out.append((label, lang, text))
    rng.shuffle(out)
    w = sys.stdout
    for label, lang, text in out:
        w.write(f"{label}\t{lang}\t{text}\n")


if __name__ == "__main__":
    main()
