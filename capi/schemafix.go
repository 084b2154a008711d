package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ftpcoord/ftpcoord/schema"
)

// hostFix rewrites the fix of a missing table for a host of the library:
// the schema package's names Go functions (schema.Apply), which a C or Java
// host cannot call. Other errors pass unchanged.
func hostFix(err error) error {
	var se *schema.Error
	if !errors.As(err, &se) || !errors.Is(se, schema.ErrMissingTable) {
		return err
	}
	was := se.Error()
	f := schema.FileName(se.Dialect)
	fixed := *se
	fixed.Fix = fmt.Sprintf("create the tables with `ftpcoord schema apply --config FILE` given the same databaseConfig, "+
		"or run the DDL schema/%s of the repository (the Java JAR carries it as io/github/ftpcoord/schema/%s)", f, f)
	return errors.New(strings.Replace(err.Error(), was, fixed.Error(), 1))
}
