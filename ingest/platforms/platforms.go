// Package platforms lists the social platforms koe follows, for koe serve
// and the tests that run sources.
package platforms

import (
	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ingest/bluesky"
	"github.com/koehq/koe/ingest/mastodon"
	"github.com/koehq/koe/ingest/x"
)

// All builds each platform's client by source kind.
var All = map[koe.SourceKind]ingest.Platform{
	koe.SourceMastodon: func(s *koe.Source, o ingest.Options) (ingest.Source, error) { return mastodon.New(s, o) },
	koe.SourceBluesky:  func(s *koe.Source, o ingest.Options) (ingest.Source, error) { return bluesky.New(s, o) },
	koe.SourceX:        func(s *koe.Source, o ingest.Options) (ingest.Source, error) { return x.New(s, o) },
}
