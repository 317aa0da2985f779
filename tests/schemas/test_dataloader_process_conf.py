"""process-conf.xml: every ProcessRunner bean a typed job, secrets never kept, what cannot carry
over given as reasons, hostile or broken XML refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.dataloader import (
    DataAccessType,
    HostileXmlError,
    Operation,
    ProcessConf,
    ProcessConfError,
    ReasonCode,
    parse_process_conf,
    read_process_conf,
)
from schemas.mapping import MappingError
from tests.schemas.dataloader_fixtures import CORPUS, needs_corpus

SAMPLES = CORPUS / "process-conf.samples.xml"
TESTFILES = CORPUS / "process-conf.testfiles.xml"
SAMPLE_PASSWORDS = ("5555555555555555", "1111111111111111")


def conf(entries: str, *, bean: str = 'id="job"', extra: str = "") -> ProcessConf:
    xml = f"""<?xml version="1.0"?>
<beans>
    <bean {bean} class="com.salesforce.dataloader.process.ProcessRunner">
        <description>  A   job.  </description>
        <property name="name" value="theJob"/>
        <property name="configOverrideMap">
            <map>
{entries}
            </map>
        </property>
    </bean>{extra}
</beans>
"""
    return parse_process_conf(xml.encode(), path="process-conf.xml")


def codes(reading: ProcessConf) -> list[ReasonCode]:
    return [reason.code for reason in reading.jobs[0].reasons]


CSV_UPSERT = """
<entry key="sfdc.entity" value="Account"/>
<entry key="process.operation" value="upsert"/>
<entry key="sfdc.externalIdField" value="Oracle_Id__c"/>
<entry key="dataAccess.type" value="csvRead"/>
<entry key="dataAccess.name" value="c:\\data\\accounts.csv"/>
"""


@needs_corpus
def test_every_job_of_the_samples_file_is_accounted_for() -> None:
    read = read_process_conf(SAMPLES)
    summary = [
        (
            r.job.id,
            r.job.name,
            r.job.object,
            r.job.operation,
            r.job.mapping_file.name if r.job.mapping_file else None,
            r.blocked,
        )
        for r in read.jobs
    ]
    assert summary == [
        ("accountMasterProcess", "accountMasterProcess", "Account", Operation.UPSERT,
         "accountMasterMap.sdl", True),
        ("opportunityUpsertProcess", "opportunityUpsertProcess", "Opportunity", Operation.UPSERT,
         "opportunityUpsertMap.sdl", False),
        ("databaseAccountExtractProcess", "databaseAccountExtract", "Account", Operation.EXTRACT,
         "accountExtractToDbMap.sdl", True),
        ("csvAccountExtractProcess", "csvAccountExtract", "Account", Operation.EXTRACT,
         "accountExtractMap.sdl", True),
    ]  # fmt: skip
    assert read.other_beans == ()


@needs_corpus
def test_the_samples_csv_upsert_job_is_fully_typed() -> None:
    reading = read_process_conf(SAMPLES).job("opportunityUpsertProcess")
    assert reading is not None
    job = reading.job
    assert job.line == 31
    assert job.description.startswith("Opportunity Upsert job gets the Customer record")
    assert job.external_id == "Oracle_Id__c"
    assert job.endpoint == "https://login.salesforce.com"
    assert job.username == "user@mycompany.com"
    assert job.batch_size == 200
    assert job.mapping_file is not None
    assert job.mapping_file.raw == r"c:\dataloader\samples\conf\opportunityUpsertMap.sdl"
    source = job.data_source
    assert source is not None and source.type is DataAccessType.CSV_READ
    assert source.csv_path is not None and source.csv_path.name == "opportunityData.csv"
    assert job.has_password and job.has_key_file
    assert [(r.code, r.line) for r in reading.reasons] == [
        (ReasonCode.PASSWORD, 42),
        (ReasonCode.KEY_FILE, 43),
        (ReasonCode.NOT_CARRIED, 44),
        (ReasonCode.NOT_CARRIED, 52),
    ]


@needs_corpus
def test_the_samples_database_and_extract_jobs_are_blocked_for_the_right_reasons() -> None:
    read = read_process_conf(SAMPLES)
    blocking = {r.job.id: [x.code for x in r.reasons if x.blocking] for r in read.jobs}
    assert blocking == {
        "accountMasterProcess": [ReasonCode.DATABASE_SOURCE],
        "opportunityUpsertProcess": [],
        "databaseAccountExtractProcess": [ReasonCode.EXTRACT, ReasonCode.DATABASE_SOURCE],
        "csvAccountExtractProcess": [ReasonCode.EXTRACT],
    }


@needs_corpus
def test_every_job_of_the_testfiles_file_is_accounted_for() -> None:
    read = read_process_conf(TESTFILES)
    assert [(r.job.id, r.job.operation) for r in read.jobs] == [
        ("maximumBatchRowsDbProcess", Operation.UPSERT),
        ("upsertAccountDbProcess", Operation.UPSERT),
        ("extractAccountDbProcess", Operation.EXTRACT),
        ("extractAccountCsvProcess", Operation.EXTRACT),
        ("updateAccountCsvProcess", Operation.UPDATE),
        ("insertNullsDBProcess", Operation.UPSERT),
    ]
    # No job names its object: Data Loader takes it from config.properties.
    assert all(ReasonCode.MISSING_SETTING in [x.code for x in r.reasons] for r in read.jobs)
    update = read.job("updateAccountCsvProcess")
    assert update is not None
    assert update.job.mapping_file is not None
    assert update.job.mapping_file.name == "updateAccountCsvMap.sdl"
    assert update.job.success_path is not None
    assert update.job.success_path.raw.startswith("${test.testfiles.directory}")
    placeholders = [x.key for x in update.reasons if x.code is ReasonCode.PLACEHOLDER]
    assert placeholders == [
        "process.outputSuccess",
        "process.outputError",
        "dataAccess.name",
        "process.mappingFile",
    ]
    extract_csv = read.job("extractAccountCsvProcess")
    assert extract_csv is not None and extract_csv.job.mapping_file is None  # commented out


@needs_corpus
@pytest.mark.parametrize("path", [SAMPLES, TESTFILES])
def test_no_password_value_is_kept_anywhere(path: Path) -> None:
    read = read_process_conf(path)
    seen = repr(read) + "".join(str(reason) for r in read.jobs for reason in r.reasons)
    assert not any(password in seen for password in SAMPLE_PASSWORDS)
    for reading in read.jobs:
        password = reading.job.setting("sfdc.password")
        assert password is None or (password.value is None and password.secret)
        assert reading.job.text("sfdc.password") is None


def test_the_typed_accessors() -> None:
    read = conf(
        CSV_UPSERT
        + """
<entry key="dataAccess.readUTF8" value="TRUE"/>
<entry key="sfdc.loadBatchSize" value="10000"/>
<entry key="sfdc.bulkApiSerialMode" value="true"/>
<entry key="sfdc.useBulkApi" value="true"/>
<entry key="sfdc.useBulkV2Api" value="false"/>
<entry key="sfdc.insertNulls" value="true"/>
<entry key="sfdc.timezone" value="Europe/Paris"/>
<entry key="process.useEuropeanDates" value="true"/>
<entry key="sfdc.truncateFields" value="false"/>
<entry key="process.loadRowToStartAt" value="1500"/>
<entry key="process.outputSuccess" value="/var/dl/success.csv"/>
<entry key="process.outputError" value="c:\\dl\\error.csv"/>
"""
    )
    (reading,) = read.jobs
    job = reading.job
    assert (job.id, job.name, job.description) == ("job", "theJob", "A job.")
    assert job.encoding == "UTF-8"
    assert job.batch_size == 10000
    assert (job.serial_mode, job.use_bulk_api, job.use_bulk_v2_api) == (True, True, False)
    assert (job.insert_nulls, job.european_dates, job.truncate_fields) == (True, True, False)
    assert job.timezone == "Europe/Paris"
    assert job.start_row == 1500
    assert job.success_path is not None and job.success_path.name == "success.csv"
    assert job.error_path is not None and job.error_path.name == "error.csv"
    assert not job.has_password and not job.has_key_file
    assert reading.reasons == ()
    assert not reading.blocked


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("insert", Operation.INSERT),
        ("Update", Operation.UPDATE),
        ("hard_delete", Operation.HARD_DELETE),
        ("hardDelete", Operation.HARD_DELETE),
        ("extract_all", Operation.EXTRACT_ALL),
        ("undelete", Operation.UNDELETE),
        ("merge", None),
    ],
)
def test_operations_are_normalised(raw: str, expected: Operation | None) -> None:
    assert Operation.parse(raw) is expected


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("extract_all", ReasonCode.EXTRACT),
        ("undelete", ReasonCode.UNSUPPORTED_OPERATION),
        ("merge", ReasonCode.UNSUPPORTED_OPERATION),
    ],
)
def test_operations_a_csv_loader_cannot_run_are_blocking(operation: str, code: ReasonCode) -> None:
    read = conf(CSV_UPSERT.replace('value="upsert"', f'value="{operation}"'))
    assert codes(read)[0] is code
    assert read.jobs[0].blocked


def test_an_upsert_without_its_external_id_is_missing_a_setting() -> None:
    read = conf(CSV_UPSERT.replace("sfdc.externalIdField", "sfdc.somethingElse"))
    assert codes(read) == [ReasonCode.MISSING_SETTING, ReasonCode.UNKNOWN_KEY]


def test_a_load_that_writes_a_csv_names_no_csv_to_read() -> None:
    read = conf(CSV_UPSERT.replace("csvRead", "csvWrite"))
    assert codes(read) == [ReasonCode.MISSING_SETTING]
    assert "csvWrite" in read.jobs[0].reasons[0].message


def test_secrets_unknown_keys_and_bad_values() -> None:
    read = conf(
        CSV_UPSERT
        + """
<entry key="sfdc.password" value="s3cr3t-encrypted"/>
<entry key="sfdc.proxyPassword" value="proxy-s3cr3t"/>
<entry key="sfdc.oauth.Production.refreshtoken" value="tok-s3cr3t"/>
<entry key="process.encryptionKeyFile" value="c:\\keys\\dl.key"/>
<entry key="sfdc.loadBatchSize" value="lots"/>
<entry key="sfdc.insertNulls" value="yes"/>
<entry key="sfdc.entityy" value="Contact"/>
"""
    )
    (reading,) = read.jobs
    assert [(r.code, r.key) for r in reading.reasons] == [
        (ReasonCode.PASSWORD, "sfdc.password"),
        (ReasonCode.SECRET, "sfdc.proxyPassword"),
        (ReasonCode.SECRET, "sfdc.oauth.Production.refreshtoken"),
        (ReasonCode.KEY_FILE, "process.encryptionKeyFile"),
        (ReasonCode.BAD_VALUE, "sfdc.loadBatchSize"),
        (ReasonCode.BAD_VALUE, "sfdc.insertNulls"),
        (ReasonCode.UNKNOWN_KEY, "sfdc.entityy"),
    ]
    assert reading.job.batch_size is None and reading.job.insert_nulls is None
    assert "s3cr3t" not in repr(read)
    assert reading.job.has_password and reading.job.has_key_file


def test_spring_entry_forms_and_namespaces_are_read() -> None:
    xml = b"""<?xml version="1.0"?>
<beans xmlns="http://www.springframework.org/schema/beans">
  <bean id="db" class="org.apache.commons.dbcp.BasicDataSource"/>
  <bean name="nsJob" class="com.salesforce.dataloader.process.ProcessRunner">
    <property name="name"><value>nsJobName</value></property>
    <property name="configOverrideMap">
      <map>
        <entry key="sfdc.entity"><value>Contact</value></entry>
        <entry><key><value>process.operation</value></key><value>insert</value></entry>
        <entry key="dataAccess.type" value="csvRead"/>
        <entry key="dataAccess.name" value="/data/contacts.csv"/>
        <entry key="sfdc.entity" value="Lead"/>
      </map>
    </property>
  </bean>
</beans>"""
    read = parse_process_conf(xml)
    assert read.other_beans == ("db",)
    (reading,) = read.jobs
    assert (reading.job.id, reading.job.name) == ("nsJob", "nsJobName")
    assert reading.job.object == "Lead"  # a repeated key: the later wins, as in a Spring map
    assert reading.job.operation is Operation.INSERT
    assert read.job("nsJobName") is reading and read.job("nope") is None


def test_config_properties_lie_under_the_job(tmp_path: Path) -> None:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "config.properties").write_bytes(
        b"sfdc.entity=Account\nsfdc.password=from-config\nsfdc.loadBatchSize=500\n"
    )
    (conf_dir / "process-conf.xml").write_bytes(
        b"""<beans><bean id="j" class="com.salesforce.dataloader.process.ProcessRunner">
        <property name="configOverrideMap"><map>
        <entry key="process.operation" value="insert"/>
        <entry key="dataAccess.type" value="csvRead"/>
        <entry key="dataAccess.name" value="in.csv"/>
        <entry key="sfdc.loadBatchSize" value="50"/>
        </map></property></bean></beans>"""
    )
    read = read_process_conf(
        conf_dir / "process-conf.xml", config_properties=conf_dir / "config.properties"
    )
    (reading,) = read.jobs
    assert reading.job.object == "Account"
    assert reading.job.batch_size == 50
    assert reading.job.has_password
    (password,) = [r for r in reading.reasons if r.code is ReasonCode.PASSWORD]
    assert (password.source, password.line) == (str(conf_dir / "config.properties"), 2)
    assert "from-config" not in repr(read)


@pytest.mark.parametrize(
    ("xml", "line", "what"),
    [
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE b [\n<!ENTITY a "aaaaaaaaaa">\n'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n<beans>&b;</beans>',
            3,
            "declares entity 'a'",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE b [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>'
            b"\n<beans>&x;</beans>",
            3,
            "declares entity 'x'",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE b [\n<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">'
            b"\n%p;\n]>\n<beans/>",
            3,
            "declares entity 'p'",
        ),
    ],
)
def test_hostile_xml_is_refused_in_one_line(xml: bytes, line: int, what: str) -> None:
    with pytest.raises(HostileXmlError) as info:
        parse_process_conf(xml, path="evil.xml")
    assert (info.value.path, info.value.line) == ("evil.xml", line)
    assert str(info.value).startswith(f"evil.xml: line {line}: refused: the XML {what}")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ProcessConfError) and isinstance(info.value, MappingError)


@pytest.mark.parametrize(
    ("xml", "line", "what"),
    [
        (b"<beans>\n  <bean id='a'>\n</beans>", 3, "mismatched tag"),
        (b"", 1, "no element found"),
        (b"\x00\x01\x02", 1, "not well-formed"),
        (b"<beans>\n&undefined;</beans>", 2, "undefined entity"),
    ],
)
def test_malformed_xml_is_refused_with_its_line(xml: bytes, line: int, what: str) -> None:
    with pytest.raises(ProcessConfError) as info:
        parse_process_conf(xml, path="bad.xml")
    assert not isinstance(info.value, HostileXmlError)
    assert info.value.line == line
    assert str(info.value).startswith(f"bad.xml: line {line}: not well-formed XML: {what}")


def test_a_document_that_is_not_spring_beans_is_refused() -> None:
    with pytest.raises(ProcessConfError, match=r"x.xml: line 1: not a Spring beans file"):
        parse_process_conf(b"<project/>", path="x.xml")


def test_an_entry_without_a_key_is_refused_with_its_line() -> None:
    with pytest.raises(ProcessConfError, match="line 8: a configOverrideMap entry without a key"):
        conf('<entry value="x"/>')


def test_the_spring_dtd_is_not_fetched() -> None:
    # The DOCTYPE of the real files names an external DTD: it is read, never fetched.
    xml = (
        b'<!DOCTYPE beans PUBLIC "-//SPRING//DTD BEAN 2.0//EN" '
        b'"http://127.0.0.1:9/spring-beans-2.0.dtd">\n<beans/>'
    )
    assert parse_process_conf(xml).jobs == ()


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProcessConfError) as info:
        read_process_conf(tmp_path / "missing.xml")
    assert info.value.line is None


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A named pipe given as a mapping or a process-conf.xml is refused at once (opening it
    would wait for a writer forever)."""
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from schemas.dataloader.errors import NotTextError, ProcessConfError  # noqa: PLC0415
    from schemas.dataloader.process_conf import read_process_conf  # noqa: PLC0415
    from schemas.dataloader.properties import read_properties  # noqa: PLC0415

    fifo = tmp_path / "pipe.sdl"
    os.mkfifo(fifo)
    raised: list[BaseException] = []

    def read_both() -> None:
        for reader, error in (
            (read_properties, NotTextError),
            (read_process_conf, ProcessConfError),
        ):
            try:
                reader(fifo)
            except error as exc:
                raised.append(exc)

    worker = threading.Thread(target=read_both, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert len(raised) == 2 and all("not a regular file" in str(e) for e in raised)
