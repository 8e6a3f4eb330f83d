//go:build !linux

package weaviatetest

import (
	"errors"
	"os/exec"
)

func isolate(*exec.Cmd) error { return errors.New("network namespaces are Linux's") }

func loopbackUp() error { return errors.New("network namespaces are Linux's") }

func dieWithParent(*exec.Cmd) {}
