//go:build !linux

package childproc

import "syscall"

// setDeathSignal does nothing where the kernel has no parent-death signal;
// Sweep is then what ends the children of a killed process.
func setDeathSignal(*syscall.SysProcAttr) {}
