package childproc

import "syscall"

// setDeathSignal asks the kernel to SIGKILL the child when the thread that
// starts it exits (see StartLocked).
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
