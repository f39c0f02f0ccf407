"""Running untrusted kernels: the confined launcher and the kernel zygote."""
