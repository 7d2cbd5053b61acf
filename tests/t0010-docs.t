#!/bin/bash
test_description='every program has a lint-clean man page that documents its options'
. "$(dirname "$0")/lib.sh"

for src in "$TOP"/tools/*.c; do
	prog=$(basename "$src" .c)
	page="$TOP/man/$prog.1"

	test_expect_success "$prog: man page exists and is lint-clean" "
		test -f '$page' &&
		mandoc -Tlint -W warning '$page' >lint 2>&1;
		test_must_fail test -s lint || { cat lint >&2; false; }
	"

	test_expect_success "$prog: --help and --version answer on stdout, exit 0" "
		'$prog' --help >help &&
		test -s help &&
		'$prog' --version >version &&
		test_grep '^$prog ' version
	"

	test_expect_success "$prog: every option in --help is in the man page" "
		MANWIDTH=200 mandoc -Tutf8 '$page' | col -b >page.txt &&
		grep -o -- '--[a-z][a-z0-9-]*' help | sort -u >long &&
		grep -o -- '\\(^\\|[[ ]\\)-[a-zA-Z0-9]\\b' help |
			sed 's/^[[ ]//' | sort -u >short &&
		missing= &&
		for o in \$(cat long short); do
			grep -q -- \"\$o\\b\" page.txt || missing=\"\$missing \$o\"
		done &&
		if test -n \"\$missing\"; then
			echo \"not in man/$prog.1:\$missing\" >&2; false
		fi
	"

	test_expect_success "$prog: an unknown option is a usage error (64)" "
		test_must_fail --status=64 '$prog' --no-such-option 2>err &&
		test_grep -i 'usage' err
	"
done

test_expect_success 'telco-pipes(7) is lint-clean' '
	mandoc -Tlint -W warning "$TOP/man/telco-pipes.7" >lint 2>&1;
	test_must_fail test -s lint || { cat lint >&2; false; }
'

test_done
