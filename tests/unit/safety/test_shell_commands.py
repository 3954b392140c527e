"""What a command does with its words (safety/shell_commands.py): where ssh, scp and sftp
read options, a destination or a remote command; which words another shell parses again."""

from __future__ import annotations

import pytest

from runbookctl.errors import TemplateError
from runbookctl.safety.shell_commands import reparsing, ssh_joined, ssh_position
from runbookctl.safety.shell_contexts import REFUSED
from runbookctl.safety.shell_words import Frame
from runbookctl.safety.templating import render_command
from tests.unit.safety.scanning import kinds


def _frame(*words: str, word: str = "") -> Frame:
    return Frame("cmd", command=words[0], words=list(words[1:]), word=word)


@pytest.mark.parametrize(("words", "position"), [
    (("ssh",), "destination"),
    (("ssh", "-vo"), "-o"),  # -o last in a cluster: its argument is the next word
    (("ssh", "-oBatchMode=yes"), "destination"),  # joined: no argument follows
    (("ssh", "-p", "22", "db1"), "command"),
    (("timeout", "5", "ssh", "-i"), "option"),
    (("scp", "-S"), "-o"),  # scp -S program runs it
    (("scp", "a", "db1:b"), "destination"),  # every scp operand: never an option
    (("echo", "ssh"), ""),
])
def test_where_the_next_word_goes_for_ssh_scp_and_sftp(words: tuple[str, ...], position: str) -> None:
    assert ssh_position(_frame(*words)) == position


@pytest.mark.parametrize(("word", "why"), [
    ("-o", "ssh-option"), ("-oProxyCommand=", "ssh-option"), ("-vo", "ssh-option"),
    ("-", "ssh-option"), ("-v", "ssh-option"), ("-o\"", "ssh-option"),
    ("-i", ""), ("-J", ""), ("-F", ""), ("-p", ""), ("db", ""),
])
def test_a_value_joined_to_an_ssh_option(word: str, why: str) -> None:
    assert ssh_joined(_frame("ssh", word=word)) == why
    assert ssh_joined(_frame("echo", word=word)) == ""


def test_the_remote_command_and_the_argument_of_o_are_never_quoted_words() -> None:
    assert reparsing(_frame("ssh", "db1")) == "reparsed"
    assert reparsing(_frame("ssh", "-o")) == "ssh-option"
    assert reparsing(_frame("ssh")) == ""


@pytest.mark.parametrize("template", [
    "ssh -oProxyCommand={} db1 true", "ssh -o{} db1", "ssh -vo {} db1", "ssh -{} db1",
    "ssh -v{} db1", "ssh -o\"ProxyCommand={}\" db1", "sudo ssh -oLocalCommand={} db1",
    "scp -oProxyCommand={} a b:", "scp -S{} a b:", "sftp -D {} db1", "ssh db1 -o{} true",
])
def test_ssh_options_with_a_value_in_them_are_refused(template: str) -> None:
    assert kinds(template) == [REFUSED]


def test_other_joined_ssh_options_are_one_quoted_word() -> None:
    assert kinds("ssh -J{} -F{} -i{} -p{} db1 true") == ["word"] * 4
    assert render_command("ssh -i{{ v }} db1 true", {"v": "k ey"}) == "ssh -i'k ey' db1 true"


@pytest.mark.parametrize(("hosts", "why"), [
    (["-oProxyCommand=touch x", "db1"], "starts with '-'"),
    ("db1 -oProxyCommand=x", "starts with '-'"),
    (["db1", "touch x"], "list of several words"),
])
def test_a_list_as_the_ssh_destination_must_be_one_host_not_an_option(hosts: object, why: str) -> None:
    with pytest.raises(TemplateError, match=why):
        render_command("ssh {{ hosts | words }} uptime", {"hosts": hosts})
    assert render_command("ssh {{ hosts | words }} uptime", {"hosts": ["db1"]}) == "ssh db1 uptime"
    assert render_command("echo {{ hosts | words }}", {"hosts": hosts}).startswith("echo ")


@pytest.mark.parametrize("template", [
    "bash -c -- \"echo {}\"", "\"$SHELL\" -c \"echo {}\"", "${SHELL} -c 'echo {}'",
    "$SHELL -lc 'echo {}'", "/bin/sh -c 'x {}'", "/usr/bin/env bash -c 'x {}'",
    "busybox sh -c 'x {}'", "dash -c 'x {}'", "zsh -c 'x {}'", "ksh -c 'x {}'",
    "bash -e -c 'x {}'", "bash -o pipefail -c 'x {}'", "bash --norc -c 'x {}'",
    "sh -c \"echo ${x:-{}}\"",
])
def test_every_way_of_naming_a_shell_and_its_script_option_is_a_reparsed_script(template: str) -> None:
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize("template", [
    "sh <<EOF\necho {}\nEOF", "sh <<'EOF'\necho {}\nEOF", "sh <<-EOF\n\techo {}\n\tEOF",
    "bash -s <<EOF\necho {}\nEOF", "ssh db1 bash <<EOF\necho {}\nEOF", "ssh db1 <<EOF\necho {}\nEOF",
    "sudo sh <<\"EOF\"\necho {}\nEOF", "sh - <<EOF\n{}\nEOF", "sh <<EOF\necho $(echo {})\nEOF",
    "bash <<< \"echo {}\"", "cat <<EOF | sh\necho {}\nEOF",
    "echo \"echo {}\" | sh", "echo x {} | sh", "printf '%s\\n' {} | bash", "echo \"x {}\" |& sh",
    "echo \"x {}\" | sudo sh", "echo \"x {}\" | bash -s", "echo \"x {}\" | xargs sh -c",
    "echo \"x {}\" | ssh db1", "( echo \"x {}\" ) | sh", "echo \"$(echo x {})\" | sh",
    "echo \"a `echo {}`\" | sh", "x=$(echo \"a {}\" | sh)",
])
def test_text_a_shell_reads_on_its_input_is_a_reparsed_script(template: str) -> None:
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize(("template", "found"), [
    ("sh -c 'echo \"$1\"' sh {}; sh -c -- 'echo \"$1\"' sh {}", ["word", "word"]),
    ("sh -c {}; bash -c -- {}; bash <<<{}; echo {} | sh", ["word"] * 4),  # the whole script
    ("cat <<EOF\necho {}\nEOF\nsh script.sh <<EOF\n{}\nEOF", ["heredoc", "heredoc"]),
    ("echo {} || sh; echo {} | grep x; echo \"x {}\" | sh -c 'cat'", ["word", "word", "dq"]),
    ("echo \"x {}\" | bash script.sh; echo \"x {}\" | ssh db1 cat; cat <<< \"{}\"", ["dq"] * 3),
    ("echo \"x {}\" | sh\necho {}", ["refused", "word"]),
])
def test_data_around_a_shell_is_still_data(template: str, found: list[str]) -> None:
    assert kinds(template, "bash") == found


@pytest.mark.parametrize("template", [
    "getent passwd {} | grep -q bash",  # `bash` is grep's pattern, not a program
    "ps -o pid,comm -u {} | grep -w sh",
    "find /etc -name {} | xargs grep -l bash",
    "x=$(ps -u {} | grep bash)",
    "cat <<EOF | grep -v bash\n{}\nEOF",
    "scp {} db1:/tmp/",  # scp takes many operands: a list is fine
    "sudo grep -l ssh {}",  # `ssh` is grep's pattern
    "timeout 5 grep ssh {}",
    "declare -n r=x; r={}",  # through a nameref with a target: plain data
    "f() { local -n out=$1; out={}; }",
])
def test_words_that_name_a_shell_or_ssh_as_data_are_no_program(template: str) -> None:
    """A review found these refused once shells and ssh were recognised anywhere in a
    command: there they are data, and the value is quoted as any word."""
    found = kinds(template, "bash")
    assert REFUSED not in found, found
    ctx_free = template.replace("{}", "{{ v }}")
    render_command(ctx_free, {"v": ["a.log", "b.log"]}, "/bin/bash")  # a list: not one word


@pytest.mark.parametrize("template", [
    "bash -co errexit 'echo {}'",  # -c among options that take an argument
    "sh -eco pipefail 'echo {}'",
    "scp -D {} f db1:/tmp",  # scp -D runs the program it names
    "ssh -p 2222 db1 bash <<EOF\necho {}\nEOF",  # the remote shell reads the heredoc
    "echo x {} | sudo -u app bash",
    "echo x {} | timeout 5 sh",
    "echo x {} | env A=1 sh",
    "declare -n r; r={}",  # a nameref with no target: the value becomes its target
])
def test_scripts_and_programs_reached_through_options_runners_and_ssh_are_refused(
        template: str) -> None:
    assert REFUSED in kinds(template, "bash")


@pytest.mark.parametrize("template", [
    "ssh db1 'bash -s' <<EOF\necho {}\nEOF", "ssh db1 \"sh -s\" <<'EOF'\necho {}\nEOF",
    "ssh db1 'sudo bash' <<EOF\necho {}\nEOF", "ssh db1 'sudo -u app bash -s' <<< \"echo {}\"",
    "echo \"x {}\" | ssh db1 'bash -s'", "echo \"x {}\" | ssh -p 22 db1 'sudo su -'",
    "echo \"x {}\" | ssh db1 -oBatchMode=yes", "echo \"x {}\" | ssh db1 -T -p 22",
    "echo \"x {}\" | ssh db1 -- bash", "echo \"x {}\" | ssh db1 ssh db2",
])
def test_a_shell_named_in_the_remote_command_reads_its_input_as_a_script(template: str) -> None:
    """The remote shell splits the remote command again: `'bash -s'` is bash given -s."""
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize(("template", "found"), [
    ("ssh db1 'bash -s' < script.sh; ssh {} 'bash -s' < script.sh", ["word"]),
    ("echo \"x {}\" | ssh db1 'cat > f'; tar c {} | ssh db1 \"tar x -C /srv\"", ["dq", "word"]),
    ("echo \"x {}\" | ssh db1 'bash script.sh'; echo \"x {}\" | ssh db1 sudo tee f", ["dq", "dq"]),
    ("su - app -c 'systemctl restart x'; su - {} -c 'systemctl restart x'", ["word"]),
    ("echo {} | sudo -u app tee f; sudo -i systemctl restart {}", ["word", "word"]),
    ("echo \"x {}\" | sudo -s systemctl restart x; ps -u {} | grep su", ["dq", "word"]),
])
def test_remote_commands_su_and_sudo_that_read_data_still_take_data(template: str,
                                                                     found: list[str]) -> None:
    assert kinds(template, "bash") == found


@pytest.mark.parametrize("template", [
    "echo \"x {}\" | su -", "echo \"x {}\" | su - app", "echo \"x {}\" | sudo -s",
    "echo \"x {}\" | sudo -i", "echo \"x {}\" | sudo su", "echo \"x {}\" | sudo -iu app",
    "su - app <<EOF\necho {}\nEOF", "sudo -i <<< \"echo {}\"", "printf '%s\\n' {} x |& runuser -l app",
    "sh /dev/stdin <<< \"echo {}\"", "bash /dev/stdin <<EOF\necho {}\nEOF",
    ". /dev/stdin <<EOF\necho {}\nEOF", "echo \"x {}\" | source /dev/stdin",
    "echo \"x {}\" | sudo bash /dev/fd/0", "echo \"x {}\" | sh /proc/self/fd/0",
])
def test_a_root_or_login_shell_or_a_script_file_that_is_the_input_reads_a_script(
        template: str) -> None:
    """`su -`, `sudo -i`, `sudo su` start a shell that reads the pipe; so does a shell or
    `source` given /dev/stdin as its script file."""
    assert kinds(template, "bash") == [REFUSED]


@pytest.mark.parametrize(("words", "position"), [
    (("ssh", "db1", "-o"), "-o"),  # ssh reads options after the destination too (ssh -G)
    (("ssh", "db1", "-p"), "option"),
    (("ssh", "db1", "-p", "22"), "command"),  # an option or the remote command: refused
    (("ssh", "db1", "--", "-p"), "command"),  # after `--`, no more options
    (("ssh", "--"), "destination"),  # `ssh -- -p …`: -p is the destination
])
def test_ssh_reads_options_after_the_destination_up_to_the_remote_command(
        words: tuple[str, ...], position: str) -> None:
    assert ssh_position(_frame(*words)) == position


@pytest.mark.parametrize(("template", "found"), [
    ("ssh db1 -o ProxyCommand={} uptime", [REFUSED]),  # the remote command has not begun
    ("ssh db1 -oProxyCommand={} uptime", [REFUSED]),
    ("ssh db1 -p 22 -o {} uptime", [REFUSED]),
    ("ssh db1 -{} uptime", [REFUSED]),
    ("ssh db1 -i {} -p {} uptime", ["word", "word"]),  # arguments of options: quoted words
])
def test_options_after_the_ssh_destination_are_options(template: str, found: list[str]) -> None:
    assert kinds(template, "bash") == found
    if found == [REFUSED]:
        with pytest.raises(TemplateError, match="is in an ssh option"):
            render_command(template.replace("{}", "{{ v }}"), {"v": "touch x"})
