package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/ratelimit"
)

// export writes an event's or a talk's export (F22) from the database, as
// koe itself: whoever runs koe export holds the database. The same as
// GET /api/v1/events/{id}[/talks/{talk}]/export.
func export(args []string) error {
	c := &config{}
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	storeFlags(fs, c)
	event := fs.String("event", "", "the event: its id or its slug (required)")
	talk := fs.Int64("talk", 0, "one talk's id (default: every talk of the event)")
	format := fs.String("format", "md", "md (for speakers), csv (UTF-8 with a BOM, for spreadsheets) or json")
	all := fs.Bool("all", false, "held, rejected and hidden questions and replies too")
	out := fs.String("out", "", "the file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *event == "" || fs.NArg() > 0 {
		return errors.New("usage: koe export --event ID|SLUG [--talk ID] [--format md|csv|json] [--all] [--out FILE]")
	}
	ctx := context.Background()
	st, _, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := act.New(ctx, act.Config{Store: st, Limits: ratelimit.Rates{}})
	if err != nil {
		return err
	}
	sys := koe.NewContext(ctx, koe.System)
	eventID, err := findEvent(sys, a, *event)
	if err != nil {
		return err
	}
	body, _, _, err := a.Export(sys, eventID, *talk, act.ExportQuery{Format: *format, All: strconv.FormatBool(*all)})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(body)
		return err
	}
	return os.WriteFile(*out, body, 0o644)
}

// findEvent reads an event's id, or finds the event of a slug.
func findEvent(ctx context.Context, a *act.Actions, idOrSlug string) (int64, error) {
	if id, err := strconv.ParseInt(idOrSlug, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	events, err := a.Events(ctx)
	if err != nil {
		return 0, err
	}
	for _, e := range events {
		if e.Slug == idOrSlug {
			return e.ID, nil
		}
	}
	return 0, fmt.Errorf("no event %q", idOrSlug)
}
