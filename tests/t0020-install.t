#!/bin/bash
test_description='make install puts programs and man pages under DESTDIR/PREFIX'
. "$(dirname "$0")/lib.sh"

test_expect_success 'make install PREFIX DESTDIR' '
	make -s -C "$TOP" install PREFIX=/opt/tp DESTDIR="$TRASH/root" >out 2>&1 &&
	for p in "$TOP"/bin/*; do
		n=$(basename "$p") &&
		test -x "root/opt/tp/bin/$n" &&
		test -f "root/opt/tp/share/man/man1/$n.1" || return 1
	done &&
	test -f root/opt/tp/share/man/man7/telco-pipes.7 &&
	test -f root/opt/tp/share/man/man5/detect.rules.5
'

test_expect_success 'installed programs run from their new place' '
	for p in root/opt/tp/bin/*; do
		"$p" --version >/dev/null || return 1
	done
'

test_done
