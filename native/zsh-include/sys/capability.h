/* Stands in for libcap's <sys/capability.h>, which zsh's zsh_system.h includes when zsh was built with libcap:
 * nothing the zsh module uses comes from it, so building the module does not need libcap's headers. */
