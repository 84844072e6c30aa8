package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeSection keeps the README's mutation section true: it names
// every operator, and every command it shows parses.
func TestReadmeSection(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n## Measuring the harness")
	if start < 0 {
		t.Fatal("README has no '## Measuring the harness' section")
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	for _, op := range Operators {
		if !strings.Contains(section, "`"+op+"`") {
			t.Errorf("README section does not name operator %s", op)
		}
	}
	cmds := regexp.MustCompile("`go run ./cmd/mutate ([^`]*)`").FindAllStringSubmatch(section, -1)
	if len(cmds) == 0 {
		t.Fatal("README section shows no go run ./cmd/mutate command")
	}
	for _, c := range cmds {
		if _, err := parseFlags(strings.Fields(c[1])); err != nil {
			t.Errorf("README command %q: %v", c[0], err)
		}
	}
	// The tests the section names exist (in core, transport's codec, or
	// this command's own).
	files, err := filepath.Glob("../../core/*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("../../transport/*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	own, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, own...)
	var tests strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests.Write(b)
	}
	for _, name := range regexp.MustCompile("`(Test[A-Za-z]+)`").FindAllStringSubmatch(section, -1) {
		if !strings.Contains(tests.String(), "func "+name[1]+"(t *testing.T)") {
			t.Errorf("README names %s, which is not a test in core/, transport/ or cmd/mutate/", name[1])
		}
	}
}
