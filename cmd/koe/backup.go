package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/koehq/koe/store/transfer"
)

// The PostgreSQL store is backed up with pg_dump: see docs/deployment.md,
// "Backups" (the koe-backup CronJob).
const pgBackupDoc = `docs/deployment.md, "Backups" (the koe-backup CronJob)`

// backup writes a consistent copy of the SQLite database (koe may keep
// serving meanwhile).
func backup(args []string) error { return runBackup(args, os.Stdout, time.Now()) }

func runBackup(args []string, w io.Writer, now time.Time) error {
	c := &config{}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	storeFlags(fs, c)
	out := fs.String("out", "", "the backup file to write, which must not exist (default: koe-backup-<UTC time>.db in the current directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: koe backup [--data-dir DIR] [--out FILE]")
	}
	if c.DatabaseURL != "" {
		return fmt.Errorf("KOE_DATABASE_URL is set: this installation keeps its data in PostgreSQL, which koe backup does not copy; back it up with pg_dump (see %s)", pgBackupDoc)
	}
	if *out == "" {
		*out = "koe-backup-" + now.UTC().Format("20060102T150405Z") + ".db"
	}
	info, err := transfer.Backup(context.Background(), c.dbPath(), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "backup written: %s (%d bytes, schema version %d)\n", info.Path, info.Size, info.SchemaVersion)
	return nil
}

// restore puts a backup in place of the SQLite database; koe must be
// stopped.
func restore(args []string) error { return runRestore(args, os.Stdout, time.Now()) }

func runRestore(args []string, w io.Writer, now time.Time) error {
	c := &config{}
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	storeFlags(fs, c)
	from := fs.String("from", "", "the backup file (required)")
	force := fs.Bool("force", false, "replace an existing database (it is kept as koe.db.before-restore-<UTC time>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 {
		return errors.New("usage: koe restore --from FILE [--force] [--data-dir DIR]   (stop koe first)")
	}
	if c.DatabaseURL != "" {
		return fmt.Errorf("KOE_DATABASE_URL is set: a PostgreSQL installation is restored with pg_restore (see %s)", pgBackupDoc)
	}
	info, err := transfer.Restore(context.Background(), *from, c.dbPath(), *force, now)
	if err != nil {
		return err
	}
	if info.MovedAside != "" {
		fmt.Fprintf(w, "the database it replaces is kept as %s\n", info.MovedAside)
	}
	fmt.Fprintf(w, "restored %s from %s (schema version %d", info.Path, *from, info.FromVersion)
	if info.SchemaVersion != info.FromVersion {
		fmt.Fprintf(w, ", migrated to %d", info.SchemaVersion)
	}
	fmt.Fprintln(w, ")")
	return nil
}

// copyToPostgres copies a whole SQLite installation into an empty
// PostgreSQL database and verifies it record by record.
func copyToPostgres(args []string) error { return runCopy(args, os.Stdout) }

func runCopy(args []string, w io.Writer) error {
	c := &config{}
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	storeFlags(fs, c)
	to := fs.String("to", "", "the PostgreSQL database to fill: a postgres:// URL of a new, empty database (required; a password may come from PGPASSWORD or ~/.pgpass instead of the URL)")
	from := fs.String("from", "", "the SQLite file to copy (default: koe.db in the data directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" || fs.NArg() > 0 {
		return errors.New("usage: koe copy --to postgres://HOST/DB [--from FILE | --data-dir DIR]   (stop koe first)")
	}
	if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
		return errors.New("--to must be a postgres:// URL")
	}
	src := *from
	if src == "" {
		src = c.dbPath()
	}
	rep, err := transfer.Copy(context.Background(), src, *to, func(tr transfer.TableReport) {
		if tr.Derived != "" {
			fmt.Fprintf(w, "%s: %d rows ok (derived)\n", tr.Table, tr.Rows)
			return
		}
		fmt.Fprintf(w, "%s: %d rows ok\n", tr.Table, tr.Rows)
	})
	if err != nil {
		return err
	}
	var rows int64
	for _, tr := range rep.Tables {
		rows += tr.Rows
	}
	fmt.Fprintf(w, "copied %s (schema version %d) into %s: %d tables, %d rows, verified record by record\n",
		src, rep.SchemaVersion, redact(*to), len(rep.Tables), rows)
	fmt.Fprintln(w, "next: start koe with KOE_DATABASE_URL set to that database")
	return nil
}

// redact hides the password of a database URL.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the PostgreSQL database"
	}
	return p.Redacted()
}
