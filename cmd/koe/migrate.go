package main

import (
	"context"
	"flag"
	"fmt"
)

func migrate(args []string) error {
	c := &config{}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	storeFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	st, where, err := openStore(ctx, c) // opening migrates
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s: schema version %d\n", where, v)
	return nil
}
