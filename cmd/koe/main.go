// Command koe runs koe, the real-time audience platform for tech events.
//
//	koe serve     run the server
//	koe migrate   bring the database schema up to date
//	koe seed      fill a demo event with talks and questions
//	koe export    write an event's or a talk's questions, polls and reactions
//	koe import    import a timetable into an event
//	koe backup    copy the SQLite database while koe serves; koe restore puts one back
//	koe copy      copy a whole SQLite install into PostgreSQL
//	koe bench     load-test a koe server (see bench/)
//	koe scorer    serve the learned moderation scorer over HTTP
//	koe version   print the version
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // event time zones work in minimal containers too

	"github.com/koehq/koe/bench"
)

// Set with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `koe — real-time audience Q&A for tech events

Usage:
  koe serve   [flags]   run the server (koe serve -h for flags and KOE_* variables)
  koe migrate [flags]   bring the database schema up to date
  koe seed    [flags]   create a demo event with talks and questions
  koe export  [flags]   write an event's or a talk's export: Markdown, CSV or JSON (koe export -h)
  koe import  [flags]   import a timetable (pretalx/frab, Sessionize) into an event (koe import -h)
  koe backup  [flags]   write a consistent copy of the SQLite database, while koe serves (koe backup -h)
  koe restore [flags]   put a backup in place of the SQLite database; stop koe first (koe restore -h)
  koe copy    [flags]   copy a whole SQLite install into an empty PostgreSQL database (koe copy -h)
  koe bench   SCENARIO  load-test a koe server (koe bench -h)
  koe scorer  [flags]   serve the learned moderation scorer over HTTP (koe scorer -h)
  koe version           print version and commit
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "migrate":
		err = migrate(os.Args[2:])
	case "seed":
		err = seed(os.Args[2:])
	case "export":
		err = export(os.Args[2:])
	case "import":
		err = importSchedule(os.Args[2:])
	case "backup":
		err = backup(os.Args[2:])
	case "restore":
		err = restore(os.Args[2:])
	case "copy":
		err = copyToPostgres(os.Args[2:])
	case "bench":
		os.Exit(bench.Main(os.Args[2:]))
	case "scorer":
		err = scorer(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Printf("koe %s (commit %s)\n", version, commit)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "koe: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "koe:", err)
		os.Exit(1)
	}
}
