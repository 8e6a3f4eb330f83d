package weaviatetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// inNamespace marks a test binary re-executed in its private network
// namespace.
const inNamespace = "HERALD_WEAVIATE_NETNS"

// notIsolated says why the tests run without a private network namespace
// ("" when they run in one). Set once, by Main, before any test runs.
var notIsolated = "the package's TestMain does not call weaviatetest.Main"

// isolation is why Weaviate cannot be run here ("" when it can).
func isolation() string { return notIsolated }

// Main runs a test binary's tests. When a weaviate-server is at hand and
// this process is not yet in a private network namespace, it runs the
// binary again in a new one with only loopback up, and exits with its
// status; the child runs the tests, every Weaviate node on loopback, and
// stops the nodes when they end. When no namespace can be made, the tests
// run here and those that need Weaviate skip.
func Main(m *testing.M) {
	switch {
	case os.Getenv(inNamespace) != "":
		if err := loopbackUp(); err != nil {
			notIsolated = fmt.Sprintf("the private network namespace has no loopback: %v", err)
		} else {
			notIsolated = ""
		}
	default:
		if _, err := Binary(); err != nil {
			notIsolated = err.Error()
			break
		}
		code, err := reexec()
		if err == nil {
			os.Exit(code)
		}
		notIsolated = fmt.Sprintf("no private network namespace for Weaviate: %v", err)
	}
	code := m.Run()
	stopAll()
	os.Exit(code)
}

// reexec runs this test binary again, with the same arguments, in a new
// network namespace, and returns its exit status.
func reexec() (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), inNamespace+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := isolate(cmd); err != nil {
		return 0, err
	}
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
