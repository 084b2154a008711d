// Command testsummary reads `go test -json` on stdin, prints each package's
// result as it finishes and the output of every failed test, and ends with a
// plain "N passed, N failed, N skipped" line. It exits non-zero when a test
// or a build failed, or when a test was skipped and -no-skips is set (CI must
// not pass because a service was missing).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	noSkips := flag.Bool("no-skips", false, "treat skipped tests as failures")
	flag.Parse()
	var passed, failed, skipped int
	var badPackages, skippedTests []string
	outputs := map[string]*strings.Builder{} // package/test -> output
	key := func(e event) string { return e.Package + " " + e.Test }
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Println(string(line)) // not JSON: a build error printed by go itself
			continue
		}
		switch e.Action {
		case "output", "build-output":
			b := outputs[key(e)]
			if b == nil {
				b = &strings.Builder{}
				outputs[key(e)] = b
			}
			b.WriteString(e.Output)
		case "pass":
			if e.Test != "" {
				passed++
				delete(outputs, key(e))
			} else {
				fmt.Printf("ok    %s (%.1fs)\n", e.Package, e.Elapsed)
			}
		case "skip":
			if e.Test != "" {
				skipped++
				skippedTests = append(skippedTests, e.Package+" "+e.Test)
			}
		case "fail", "build-fail":
			if e.Test != "" {
				failed++
				fmt.Printf("--- FAIL %s %s\n%s", e.Package, e.Test, outputs[key(e)])
				continue
			}
			badPackages = append(badPackages, e.Package)
			fmt.Printf("FAIL  %s (%.1fs)\n", e.Package, e.Elapsed)
			if out := outputs[key(e)]; out != nil {
				fmt.Print(out)
			}
		}
	}
	sort.Strings(skippedTests)
	for _, s := range skippedTests {
		fmt.Println("skipped:", s)
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	switch {
	case failed > 0 || len(badPackages) > 0:
		if failed == 0 {
			fmt.Printf("failed packages (build or setup): %s\n", strings.Join(badPackages, ", "))
		}
		os.Exit(1)
	case *noSkips && skipped > 0:
		fmt.Println("skipped tests are not allowed here: start the services they need")
		os.Exit(1)
	}
}
