package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/koehq/koe/store/sqlite"
)

func migrate(args []string) error {
	c := &config{}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	storeFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return err
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, c.dbPath()) // Open migrates
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s: schema version %d\n", c.dbPath(), v)
	return nil
}
