package wordcloud

import "testing"

// go test -run '^$' -bench Words -benchmem ./wordcloud
func BenchmarkWords(b *testing.B) {
	Warm()
	for _, bc := range []struct{ name, in string }{
		{"ja", "リアルタイム通信の設計が楽しかった"},
		{"en", "Realtime networking with Go and node.js"},
		{"mixed", "Goの並行処理とC++の比較"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Words(bc.in)
			}
		})
	}
}
