"""Where a value lands in a command, and how it is quoted there or refused (safety/shell_scan.py),
run for real with dash (/bin/sh) and bash: the corpus of tests/injection_corpus.py with its
payloads and with hypothesis-made ones. No canary file, ever; byte-exact values where the
context is supported."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbookctl.errors import TemplateError
from runbookctl.safety.shell_contexts import INT, REFUSED
from runbookctl.safety.templating import render_command
from tests.injection_corpus import CANARY, CONTEXTS, OUT, PAYLOADS, expected_files
from tests.unit.safety.scanning import kinds

SHELLS = {"sh": "/bin/sh", "bash": shutil.which("bash") or "/bin/bash"}


@pytest.mark.parametrize(("template", "found"), [
    ("echo {} '{}' \"{}\"", ["word", "sq", "dq"]),
    ("cat <<<{}", ["word"]),
    ("(( n = {} )); for ((i=0; i<{}; i++)); do :; done", ["int", "int"]),
    ("[[ {} == {} ]] && [[ {} -lt 3 ]]", ["test-word", "test-word", "int"]),
    ("let x={}; a[{}]=1; echo ${x:{}}; echo ${a[{}]}", ["int", "int", "int", "int"]),
    ("declare -i n={}; export X={}", ["int", "word"]),
    ("case {} in a|{}) echo {};; ({}) echo;; esac; echo \"{}\"",
     ["word", "word", "word", "word", "dq"]),
    ("echo \"$(case x in x) echo {};; esac)\"", ["word"]),
    ("echo a#{} '#'{}", ["word", "word"]),
    ("f() { echo {}; }; ( echo {} ) | cat", ["word", "word"]),
])
def test_each_context_is_recognised(template: str, found: list[str]) -> None:
    assert kinds(template) == found


@pytest.mark.parametrize(("template", "why"), [
    ("# restart {}\necho", "comment"),
    ("echo x # {}", "comment"),
    ("echo \"\\{}\"", "backslash"),
    ("echo \\{}", "backslash"),
    ("echo ${}", "`$`"),
    ("echo \"${}\"", "`$`"),
    ("read {}", "variable name"),
    ("printf -v {} %s x", "variable name"),
    ("[[ -v {} ]]", "int"),
    ("unset {}", "variable name"),
    ("declare {}=1", "variable name"),
    ("printf -v{} %s x", "variable name"),
    ("declare -n ref={}", "variable name"),
    ("local -n ref={}", "variable name"),
    ("declare -n ref; ref={}", "variable name"),
    ("echo `echo x", "x"),
    ("sh -c 'echo {}'", "shell"),
    ("bash -lc \"x {}\"", "shell"),
    ("sudo -u pg sh -c \"$(echo {})\"", "shell"),
    ("sh -c `echo {}`", "shell"),
    ("eval echo {}", "shell"),
    ("ssh db1 cat {}", "shell"),
    ("watch ls {}", "shell"),
    ("trap 'rm {}' EXIT", "shell"),
    ("su -c \"id {}\" pg", "shell"),
    ("ssh -p 22 db1 \"psql -c '{}'\"", "shell"),
    ("ssh -o {} db1 true", "shell"),
])
def test_contexts_no_quoting_makes_safe_are_refused(template: str, why: str) -> None:
    found = kinds(template.replace("`echo x", "`echo x {}") if why == "x" else template)
    assert found and all(k in (REFUSED, INT) for k in found), found
    if why == "int":
        assert found == [INT]
    else:
        assert REFUSED in found


@pytest.mark.parametrize("template", [
    "declare -i n; n={}", "typeset -i n; n+={}", "local -i n; local n={}",
    "declare -i n; export n={}", "declare -ia a; a[1]={}", "declare -i n; f() { n={}; }",
    "declare -i n; function f { n={}; }", "declare -i n; x=$(n={})",
])
def test_assigning_a_variable_declared_integer_before_is_arithmetic(template: str) -> None:
    assert kinds(template, "bash") == [INT]
    assert kinds(template.replace("-i", "-r").replace("-ia", "-a"), "bash") == ["word"]


def test_a_value_that_is_the_whole_script_says_to_run_it_and_is_quoted_as_one_word() -> None:
    # `sh -c {{ cmd }}` runs the operator's command; an argument after the script is data.
    assert kinds("sh -c {}; sh -c \"{}\"; eval '{}'") == ["word", "dq", "sq"]
    assert kinds("sh -c 'echo \"$1\"' sh {}; echo {} | sh") == ["word", "word"]
    assert render_command("sh -c {{ v }}", {"v": "echo a b"}) == "sh -c 'echo a b'"


def test_ssh_destination_and_option_arguments_are_words_but_never_options() -> None:
    assert kinds("ssh -i {} -p {} {} uptime; sudo ssh '{}' true; echo ssh {}") == \
        ["word", "word", "word", "sq", "word"]
    assert render_command("ssh {{ v }} uptime", {"v": "db 1"}) == "ssh 'db 1' uptime"
    for template in ("ssh {{ v }} true", "timeout 5 ssh '{{ v }}' true"):
        with pytest.raises(TemplateError, match="ssh would read it as an option"):
            render_command(template, {"v": "-oProxyCommand=touch /tmp/x"})
    assert render_command("echo ssh {{ v }}", {"v": "-n"}) == "echo ssh -n"


@pytest.mark.parametrize("source", [
    "echo $(( {{ v }} ))", "cat <<EOF\n{{ v }}\nEOF\n", "cat <<'EOF'\n{{ v }}\nEOF\n",
    "# {{ v }}\necho", "echo \"\\{{ v }}\"",
])
def test_refusal_at_run_time_names_the_value_and_why(source: str) -> None:
    value = "x\nEOF\n$(touch /tmp/never)"
    with pytest.raises(TemplateError) as caught:
        render_command(source, {"v": value})
    message = caught.value.message
    assert message.startswith(f"refusing to run {source!r}: the value of {{{{ v }}}} ")
    assert "never" not in message  # the value itself is not shown (it may be a secret)


def test_an_integer_passes_arithmetic_and_nothing_else_does() -> None:
    assert render_command("echo $(( {{ v }} * 2 ))", {"v": " 21 "}) == "echo $(( 21 * 2 ))"
    assert render_command("echo $(( {{ v }} ))", {"v": 7}) == "echo $(( 7 ))"
    for bad in ("1+1", "a[$(touch x)]", "0x10", "", "1 2", True):
        with pytest.raises(TemplateError, match="only an integer is safe"):
            render_command("echo $(( {{ v }} ))", {"v": bad})


def _batch(values: list[str], tmp: Path, shell: str) -> None:
    """Render every context for every value into one script per shell, run it once,
    and compare each output file with what the context must deliver."""
    canary = tmp / "CANARY"
    lines = []
    expected: dict[Path, str | None] = {}
    for n, value in enumerate(values):
        out = tmp / f"v{n}-{shell}"
        out.mkdir()
        value = value.replace(CANARY, str(canary))
        for ctx in CONTEXTS:
            if shell not in ctx.shells:
                continue
            want = ctx.expect(value)
            expected[out / f"{ctx.name}.out"] = want
            try:
                command = render_command(ctx.template.replace(OUT, str(out)), {"v": value},
                                         SHELLS[shell])
            except TemplateError:
                assert want is None, f"{ctx.name} refused {value!r}"
                continue
            assert want is not None, f"{ctx.name} accepted {value!r}: {command!r}"
            lines.append(command)
    proc = subprocess.run([SHELLS[shell], "-c", "\n".join(lines) + "\n"], cwd=tmp,
                          capture_output=True, timeout=60)
    assert not canary.exists(), proc.stderr
    for path, want in expected.items():
        if want is not None:
            got = path.read_bytes().decode("utf-8", "surrogateescape") if path.exists() else None
            assert got == want, (path.name, values, proc.stderr)


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_corpus_payloads_in_every_context_run_for_real(tmp_path: Path, shell: str) -> None:
    _batch(PAYLOADS, tmp_path, shell)


PIECES = st.sampled_from([
    "$", "`", "'", '"', "\\", "(", ")", "{", "}", "[", "]", ";", "&", "|", "<", ">", "*", "?",
    "~", "#", "!", "=", "-", " ", "\t", "\n", "EOF", "\nEOF\n", "\tEOF", "A", "$(touch @CANARY@)",
    "`touch @CANARY@`", "a[$(touch @CANARY@)]", "$'", "${", "}}", "esac", ";;", "é", "✓", "\u202e",
])
PAYLOAD = st.one_of(
    st.lists(PIECES, max_size=12).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(PAYLOAD, min_size=1, max_size=3))
def test_generated_payloads_never_run_and_arrive_intact(tmp_path_factory: pytest.TempPathFactory,
                                                        values: list[str]) -> None:
    for shell in SHELLS:
        _batch(values, tmp_path_factory.mktemp("gen"), shell)


def test_the_corpus_expectations_cover_refusals_and_values() -> None:
    # The table itself must exercise both outcomes, or the tests above prove little.
    outcomes = [expected_files(p.replace(CANARY, "/c")) for p in PAYLOADS]
    assert any(v is None for o in outcomes for v in o.values())
    assert sum(v is not None for o in outcomes for v in o.values()) > len(CONTEXTS) * 10


@pytest.mark.parametrize("template", [
    "{ echo {}; } | sh", "{ echo \"x {}\"; date; } | sh", "( echo {} ) | sh",
    "while read l; do echo {}; done < f | bash", "while read l; do\n  echo \"$l {}\"\ndone < f | sh",
    "for h in a b; do echo \"x {}\"; done | sh", "if true; then echo \"x {}\"; fi | sh",
    "until false; do echo {}; done | sh", "case a in a) echo \"x {}\";; esac | sh",
    "{ if true; then echo \"x {}\"; fi; } | sudo bash", "{ cat <<EOF\necho {}\nEOF\n} | sh",
    "echo {} x | sh",  # not all the echo writes
])
def test_what_a_compound_command_writes_into_a_shell_is_a_script(template: str) -> None:
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize("template", [
    "echo \"x {}\" | while read l; do sh; done", "echo \"x {}\" | { read a; bash; }",
    "echo \"x {}\" | (sh)", "echo \"x {}\" | tee >(sh)", "echo \"x {}\" > >(bash)",
])
def test_a_shell_in_the_compound_command_a_pipe_feeds_reads_a_script(template: str) -> None:
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize(("template", "found"), [
    ("while read l; do echo \"$l {}\"; done < f", ["dq"]),
    ("while read l; do echo \"$l\"; done < f | grep {}", ["word"]),
    ("{ echo {}; date; } > out.txt; if [ -f {} ]; then cat f; fi | grep x", ["word", "word"]),
    ("cat f | while read l; do grep {} \"$l\"; done; for h in {}; do ssh \"$h\" uptime; done",
     ["word", "word"]),
    ("if true; then echo {} | sh; fi; x=$(echo {} | sh)", ["word", "word"]),  # the whole script
    ("echo {} | tee f; getent passwd {} | grep bash; ps aux | grep -q {}", ["word"] * 3),
])
def test_compound_commands_that_write_no_shell_take_data(template: str, found: list[str]) -> None:
    assert kinds(template, "bash") == found


@pytest.mark.parametrize("template", [
    "bash <(echo {})", "bash <(echo \"x {}\")", "source <(echo \"x {}\")", ". <(printf %s {})",
    "sudo bash <(echo {})", "bash < <(echo \"x {}\")", "bash --rcfile <(echo {}) -i",
    "source <(cat <<< \"x {}\")",
])
def test_a_process_substitution_a_shell_runs_as_its_script_is_a_script(template: str) -> None:
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize(("template", "found"), [
    ("diff <(sort {}) <(sort b); cat <(echo {})", ["word", "word"]),
    ("bash script.sh <(echo {}); source ./env.sh {}", ["word", "word"]),
    ("while read l; do :; done < <(grep {} f)", ["word"]),
])
def test_a_process_substitution_read_as_data_takes_data(template: str, found: list[str]) -> None:
    assert kinds(template, "bash") == found


@pytest.mark.parametrize("template", [
    "declare -ai a; a=({})", "declare -a -i a; a=(1 {})", "typeset -i a; a+=({})",
    "local -i a; a=({})", "declare -ai a=({})", "local -ia a=(\"{}\")",
])
def test_the_elements_of_an_array_declared_integer_are_arithmetic(template: str) -> None:
    assert kinds(template, "bash") == [INT]
    with pytest.raises(TemplateError, match="only an integer is safe"):
        render_command(template.replace("{}", "{{ v }}"), {"v": "a[$(touch x)]"}, "/bin/bash")
    assert render_command(template.replace("{}", "{{ v }}"), {"v": 7}, "/bin/bash").endswith(("7)", "7\")"))


@pytest.mark.parametrize("template", [
    "a=([{}]=1)", "a+=([{}]=x)", "declare -a a=([{}]=1)", "a=( x [{}]=1 )",
    "declare -A m=([{}]=v)", "a=([1]=x [2{}]=y)",
])
def test_an_elements_subscript_in_an_array_assignment_is_arithmetic(template: str) -> None:
    """`a=([SUB]=v)`: bash evaluates SUB as arithmetic, where `a[$(cmd)]` runs cmd even
    from a quoted value; an associative array's key is held to the same rule (which kind
    `a` is, is not known where it is written)."""
    assert kinds(template, "bash") == [INT]
    with pytest.raises(TemplateError, match="only an integer is safe"):
        render_command(template.replace("{}", "{{ v }}"), {"v": "a[$(touch x)]"}, "/bin/bash")
    assert "7]=" in render_command(template.replace("{}", "{{ v }}"), {"v": 7}, "/bin/bash")


def test_an_elements_value_and_a_quoted_bracket_are_words() -> None:
    assert kinds('a=([1]={} "[{}]" {})', "bash") == ["word", "dq", "word"]


def test_the_elements_of_other_arrays_are_words() -> None:
    assert kinds("a=({} b); declare -a b=({}); declare -i n; c=({})", "bash") == ["word"] * 3


def test_an_indirect_parameter_name_is_refused() -> None:
    assert kinds("echo ${!{}} \"${!{}}\" ${!{}[@]} ${!p{}*} ${!{}:-x}", "bash") == [REFUSED] * 5


@pytest.mark.parametrize("template", [
    "ssh ${U:+$U@}{{ v }} uptime", "ssh \"${U:+$U@}\"{{ v }} uptime",
    "ssh ${U:+${U}@}{{ v }} true", "ssh \"$P\"{{ v }} true", "ssh -p 22 `x`{{ v }} true",
])
def test_an_ssh_destination_after_expansions_that_may_be_empty_is_never_an_option(
        template: str) -> None:
    with pytest.raises(TemplateError, match="ssh would read it as an option"):
        render_command(template, {"v": "-oProxyCommand=touch /tmp/x"})
    assert "db1 " in render_command(template, {"v": "db1"})


def test_an_ssh_destination_after_a_literal_may_start_with_a_dash() -> None:
    assert render_command("ssh u@{{ v }} true; ssh $U@{{ v }} true", {"v": "-oX"}) == \
        "ssh u@-oX true; ssh $U@-oX true"
