package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"
)

type options struct {
	template, dist, tag, uriPrefix, out string
	serve                               bool
	command                             []string
}

// run renders the manifest and, with -serve, runs the command while the
// archives are served; it returns the command's exit code.
func (o options) run() (int, error) {
	if o.serve != (len(o.command) > 0) {
		return 0, errors.New("-serve needs a command to run after the flags, and a command needs -serve")
	}
	if o.tag == "" {
		tag, err := goreleaserTag(o.dist)
		if err != nil {
			return 0, fmt.Errorf("no -tag given and %w", err)
		}
		o.tag = tag
	}
	src, err := os.ReadFile(o.template)
	if err != nil {
		return 0, err
	}
	if o.serve {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		srv := &http.Server{Handler: http.FileServer(http.Dir(o.dist)), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		o.uriPrefix = "http://" + ln.Addr().String() + "/"
	}
	out, err := render(filepath.Base(o.template), string(src), o.tag, o.dist, o.uriPrefix)
	if err != nil {
		return 0, err
	}
	if o.out == "-" {
		_, err = os.Stdout.Write(out)
	} else {
		err = os.WriteFile(o.out, out, 0o644)
	}
	if err != nil || !o.serve {
		return 0, err
	}
	cmd := exec.Command(o.command[0], o.command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), nil
		}
		return 0, err
	}
	return 0, nil
}

// goreleaserTag reads the tag of the last goreleaser run from dist/metadata.json.
func goreleaserTag(dist string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return "", fmt.Errorf("reading goreleaser's metadata: %w", err)
	}
	var m struct {
		Tag string `json:"tag"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("%s/metadata.json: %w", dist, err)
	}
	if m.Tag == "" {
		return "", fmt.Errorf("%s/metadata.json has no tag", dist)
	}
	return m.Tag, nil
}

// render evaluates a krew-release-bot template. Errors inside addURIAndSha
// (a missing archive) fail the rendering rather than panic as the bot does.
func render(name, src, tag, dist, uriPrefix string) ([]byte, error) {
	values := struct{ TagName, Version string }{tag, versionFromTag(tag)}
	funcs := template.FuncMap{
		"indent": indent,
		"addURIAndSha": func(urlTemplate, tag string) (string, error) {
			t, err := template.New("url").Parse(urlTemplate)
			if err != nil {
				return "", err
			}
			var u bytes.Buffer
			if err := t.Execute(&u, struct{ TagName, Version string }{tag, versionFromTag(tag)}); err != nil {
				return "", err
			}
			uri := u.String()
			file := path.Base(uri)
			sum, err := sha256File(filepath.Join(dist, file))
			if err != nil {
				return "", fmt.Errorf("archive for %s: %w", uri, err)
			}
			if uriPrefix != "" {
				uri = strings.TrimSuffix(uriPrefix, "/") + "/" + file
			}
			// The bot's exact shape: the sha256 line indented for a
			// platform item at 4 spaces.
			return fmt.Sprintf("uri: %s\n    sha256: %s", uri, sum), nil
		},
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := t.Execute(&out, values); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func sha256File(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// indent is krew-release-bot's: it re-indents the sha256 line that
// addURIAndSha emits for 4 spaces.
func indent(spaces int, v string) string {
	v = strings.ReplaceAll(v, "    sha256:", "sha256:")
	pad := strings.Repeat(" ", spaces)
	return strings.TrimSpace(pad + strings.ReplaceAll(v, "\n", "\n"+pad))
}

var versionRE = regexp.MustCompile(`\d+(\.\d+)+`)

// versionFromTag is the bot's .Version: the dotted number in the tag.
func versionFromTag(tag string) string {
	if v := versionRE.FindString(tag); v != "" {
		return v
	}
	return tag
}
