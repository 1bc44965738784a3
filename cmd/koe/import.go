package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/ratelimit"
)

// importSchedule imports a timetable into an event from the database, as
// koe itself, with the plan the API answers: the same as
// POST /api/v1/events/{id}/schedule/import.
func importSchedule(args []string) error {
	return runImport(args, os.Stdout)
}

func runImport(args []string, stdout io.Writer) error {
	c := &config{}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	storeFlags(fs, c)
	event := fs.String("event", "", "the event: its id or its slug (required)")
	file := fs.String("file", "", "the schedule's file: pretalx/frab schedule JSON or Sessionize API v2 JSON (- for standard input)")
	from := fs.String("url", "", "the schedule's URL, fetched now (instead of --file)")
	dryRun := fs.Bool("dry-run", false, "only say what would change")
	asJSON := fs.Bool("json", false, "print the plan as JSON (the API's ImportPlan)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *event == "" || (*file == "") == (*from == "") || fs.NArg() > 0 {
		return errors.New("usage: koe import --event ID|SLUG (--file FILE | --url URL) [--dry-run] [--json]")
	}
	in := act.ImportRequest{DryRun: *dryRun}
	if *file != "" {
		var data []byte
		var err error
		if *file == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(*file)
		}
		if err != nil {
			return err
		}
		s := string(data)
		in.Data = &s
	} else {
		in.URL = from
	}
	ctx := context.Background()
	st, _, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := act.New(ctx, act.Config{Store: st, Limits: ratelimit.Rates{},
		Deliveries: act.DeliveryOptions{AllowPrivate: envBool("KOE_WEBHOOK_ALLOW_PRIVATE", false)}})
	if err != nil {
		return err
	}
	sys := koe.NewContext(ctx, koe.System)
	eventID, err := findEvent(sys, a, *event)
	if err != nil {
		return err
	}
	plan, err := a.ImportSchedule(sys, eventID, in)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	}
	printPlan(stdout, plan)
	return nil
}

// printPlan says what an import did or would do, a line per talk.
func printPlan(w io.Writer, p *act.ImportPlan) {
	verb := "would add"
	if p.Applied {
		verb = "added"
	}
	fmt.Fprintf(w, "%s schedule %q: %d added, %d changed, %d removed, %d unchanged", p.Format, p.Title, len(p.Added), len(p.Changed), len(p.Removed), p.Unchanged)
	if !p.Applied {
		fmt.Fprint(w, " (dry run: nothing changed)")
	}
	fmt.Fprintln(w)
	if p.AssumedZone != "" {
		fmt.Fprintf(w, "times without a UTC offset were read in %s\n", p.AssumedZone)
	}
	for _, t := range p.Added {
		fmt.Fprintf(w, "  + %s [%s] %s\n", verb, t.SourceID, t.Title)
	}
	for _, t := range p.Changed {
		fmt.Fprintf(w, "  ~ talk %d [%s] %s: %v\n", t.TalkID, t.Talk.SourceID, t.Talk.Title, t.Fields)
	}
	for _, t := range p.Removed {
		what := "deleted"
		if t.Action == "flag" {
			what = fmt.Sprintf("kept and flagged: %d questions", t.Questions)
		}
		fmt.Fprintf(w, "  - talk %d %s (%s)\n", t.TalkID, t.Title, what)
	}
}
