// helm_render: `helm template` for this repository's chart, for machines
// without helm (Debian 12 does not package it). It does what helm does for
// a chart without dependencies, with the same libraries helm uses:
//
//   - values.yaml deep-merged with each -f file (null deletes a key);
//   - the merged values validated against values.schema.json with
//     xeipuuv/gojsonschema (helm's validator);
//   - templates/ rendered with Go's text/template, the Sprig v3 function
//     map minus env/expandenv, and helm's own functions (include, tpl,
//     required, toYaml, fromYaml, toJson, fromJson, lookup);
//     missingkey=zero and "<no value>" removed, as helm does;
//   - .Values, .Release, .Chart, .Files.Get, .Template.
//
// Usage: helm_render [-f values.yaml]... [--release NAME] [--namespace NS] CHART_DIR
// Prints the manifests as `helm template` does ("---\n# Source: ...").
// Exit 1 on any error (schema, template, function).
//
// Built in GOPATH mode against Debian's packages (golang-go,
// golang-github-masterminds-sprig-dev, golang-github-xeipuuv-gojsonschema-dev,
// golang-k8s-sigs-yaml-dev): tests/deploy/check_helm.py does that.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

type chartMeta struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion"`
	Description string `json:"description"`
	Type        string `json:"type"`
	APIVersion  string `json:"apiVersion"`
}

type files map[string][]byte

func (f files) Get(name string) string { return string(f[name]) }

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func readYAML(p string) (map[string]interface{}, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out, nil
}

// merge: helm's coalescing of user values over chart defaults.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func toYAML(v interface{}) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func main() {
	var valueFiles stringList
	release, namespace := "trading-platform", "default"
	args := os.Args[1:]
	var chartDir string
	for len(args) > 0 {
		switch args[0] {
		case "-f", "--values":
			if len(args) < 2 {
				fail(errors.New("-f needs a file"))
			}
			valueFiles = append(valueFiles, args[1])
			args = args[2:]
		case "--release":
			release, args = args[1], args[2:]
		case "--namespace":
			namespace, args = args[1], args[2:]
		default:
			if strings.HasPrefix(args[0], "-") {
				fail(fmt.Errorf("unknown option %s", args[0]))
			}
			chartDir, args = args[0], args[1:]
		}
	}
	if chartDir == "" {
		fail(errors.New("usage: helm_render [-f values.yaml]... [--release NAME] [--namespace NS] CHART_DIR"))
	}

	var meta chartMeta
	cb, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		fail(err)
	}
	if err := yaml.Unmarshal(cb, &meta); err != nil {
		fail(fmt.Errorf("Chart.yaml: %w", err))
	}
	if meta.APIVersion != "v2" || meta.Name == "" || meta.Version == "" {
		fail(errors.New("Chart.yaml: apiVersion v2, name and version are required"))
	}

	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		fail(err)
	}
	for _, f := range valueFiles {
		v, err := readYAML(f)
		if err != nil {
			fail(err)
		}
		values = merge(values, v)
	}

	if schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json")); err == nil {
		doc, _ := json.Marshal(values)
		res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(doc))
		if err != nil {
			fail(fmt.Errorf("values.schema.json: %w", err))
		}
		if !res.Valid() {
			var msgs []string
			for _, e := range res.Errors() {
				msgs = append(msgs, "- "+e.String())
			}
			fail(fmt.Errorf("values don't meet the specifications of the schema(s):\n%s", strings.Join(msgs, "\n")))
		}
	}

	chartFiles := files{}
	_ = filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(chartDir, p)
		if strings.HasPrefix(rel, "templates/") {
			return nil
		}
		b, _ := os.ReadFile(p)
		chartFiles[filepath.ToSlash(rel)] = b
		return nil
	})

	root := template.New("gotpl")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includedNames := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		includedNames[name]++
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs).Option("missingkey=zero")

	tdir := filepath.Join(chartDir, "templates")
	var names []string
	err = filepath.Walk(tdir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		name := path.Join(meta.Name, filepath.ToSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		fail(err)
	}
	sort.Strings(names)

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": map[string]interface{}{
			"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion,
			"Description": meta.Description, "Type": meta.Type,
		},
		"Files":        chartFiles,
		"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": "v1.29.0", "Major": "1", "Minor": "29"}},
	}
	var out bytes.Buffer
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, ".txt") {
			continue
		}
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": name, "BasePath": path.Join(meta.Name, "templates")}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			fail(err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.Trim(text, "\n"))
	}
	os.Stdout.Write(out.Bytes())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "helm_render: Error:", err)
	os.Exit(1)
}
