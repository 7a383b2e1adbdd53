"""SQLAlchemy Core definitions of the VICIdial tables leadpipe reads and writes.

The column lists, types, defaults and keys follow VICIdial 2.14's installation schema (SVN 3884,
API 2.14-194) as described in `shared/spec/schema.md`. Tables documented there with only their
"relevant columns" are declared with those columns. On a real VICIdial database leadpipe never
creates, alters or drops these tables; the embedded SQLite database is created from them.

Date and time columns are plain text on SQLite (VICIdial stores zero dates such as
``0000-00-00`` that no Python date can hold) and native types on MariaDB/MySQL. ``DECIMAL``
columns are floats on SQLite, which has no decimal type.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn

__all__ = [
    "CUSTOM_TABLE_PREFIX",
    "custom_table",
    "metadata",
    "recording_log",
    "servers",
    "system_settings",
    "vicidial_agent_log",
    "vicidial_api_log",
    "vicidial_call_time_holidays",
    "vicidial_call_times",
    "vicidial_callbacks",
    "vicidial_callbacks_archive",
    "vicidial_campaign_dnc",
    "vicidial_campaigns",
    "vicidial_closer_log",
    "vicidial_did_log",
    "vicidial_dnc",
    "vicidial_hopper",
    "vicidial_inbound_dids",
    "vicidial_ip_list_entries",
    "vicidial_list",
    "vicidial_list_alt_phones",
    "vicidial_lists",
    "vicidial_lists_fields",
    "vicidial_log",
    "vicidial_nanpa_prefix_codes",
    "vicidial_phone_codes",
    "vicidial_postal_codes",
    "vicidial_settings_containers",
    "vicidial_state_call_times",
    "vicidial_two_factor_auth",
    "vicidial_user_groups",
    "vicidial_users",
]

_MYSQL = ("mysql", "mariadb")

metadata = sa.MetaData()

CUSTOM_TABLE_PREFIX = "custom_"


def _datetime() -> sa.types.TypeEngine[Any]:
    return sa.String(19).with_variant(mysql.DATETIME(), *_MYSQL)


def _timestamp() -> sa.types.TypeEngine[Any]:
    return sa.String(19).with_variant(mysql.TIMESTAMP(), *_MYSQL)


def _date() -> sa.types.TypeEngine[Any]:
    return sa.String(10).with_variant(mysql.DATE(), *_MYSQL)


def _time() -> sa.types.TypeEngine[Any]:
    return sa.String(8).with_variant(mysql.TIME(), *_MYSQL)


def _enum(*values: str) -> sa.types.TypeEngine[Any]:
    return sa.String(max(len(v) for v in values)).with_variant(mysql.ENUM(*values), *_MYSQL)


def _int(native: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    return sa.Integer().with_variant(native, *_MYSQL)


def _decimal(precision: int, scale: int) -> sa.types.TypeEngine[Any]:
    return sa.Float().with_variant(mysql.DECIMAL(precision, scale), *_MYSQL)


def _double(precision: int, scale: int) -> sa.types.TypeEngine[Any]:
    return sa.Float().with_variant(mysql.DOUBLE(precision, scale), *_MYSQL)


@compiles(CreateColumn, "mysql")
@compiles(CreateColumn, "mariadb")
def _on_update_now(element: CreateColumn[Any], compiler: Any, **kw: Any) -> str:
    """Give VICIdial's automatic ``modify_date`` its ``ON UPDATE CURRENT_TIMESTAMP`` on MySQL."""
    text: str = compiler.visit_create_column(element, **kw)
    if element.element.info.get("on_update_now"):
        text += " ON UPDATE CURRENT_TIMESTAMP"
    return text


vicidial_list = sa.Table(
    'vicidial_list',
    metadata,
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('entry_date', _datetime()),
    sa.Column('modify_date', _timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), info={'on_update_now': True}),
    sa.Column('status', mysql.VARCHAR(6)),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('vendor_lead_code', mysql.VARCHAR(20)),
    sa.Column('source_id', mysql.VARCHAR(50)),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='0', nullable=False),
    sa.Column('gmt_offset_now', _decimal(4, 2), server_default='0.00'),
    sa.Column('called_since_last_reset', _enum('Y', 'N', 'Y1', 'Y2', 'Y3', 'Y4', 'Y5', 'Y6', 'Y7', 'Y8', 'Y9', 'Y10', 'D'), server_default='N'),
    sa.Column('phone_code', mysql.VARCHAR(10)),
    sa.Column('phone_number', mysql.VARCHAR(18), nullable=False),
    sa.Column('title', mysql.VARCHAR(4)),
    sa.Column('first_name', mysql.VARCHAR(30)),
    sa.Column('middle_initial', mysql.VARCHAR(1)),
    sa.Column('last_name', mysql.VARCHAR(30)),
    sa.Column('address1', mysql.VARCHAR(100)),
    sa.Column('address2', mysql.VARCHAR(100)),
    sa.Column('address3', mysql.VARCHAR(100)),
    sa.Column('city', mysql.VARCHAR(50)),
    sa.Column('state', mysql.VARCHAR(2)),
    sa.Column('province', mysql.VARCHAR(50)),
    sa.Column('postal_code', mysql.VARCHAR(10)),
    sa.Column('country_code', mysql.VARCHAR(3)),
    sa.Column('gender', _enum('M', 'F', 'U'), server_default='U'),
    sa.Column('date_of_birth', _date()),
    sa.Column('alt_phone', mysql.VARCHAR(12)),
    sa.Column('email', mysql.VARCHAR(70)),
    sa.Column('security_phrase', mysql.VARCHAR(100)),
    sa.Column('comments', mysql.VARCHAR(255)),
    sa.Column('called_count', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('last_local_call_time', _datetime()),
    sa.Column('rank', mysql.SMALLINT(display_width=5), server_default='0', nullable=False),
    sa.Column('owner', mysql.VARCHAR(20), server_default=''),
    sa.Column('entry_list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='0', nullable=False),
    sa.Index('ix_vicidial_list_phone_number', 'phone_number'),
    sa.Index('ix_vicidial_list_list_id', 'list_id'),
    sa.Index('ix_vicidial_list_called_since_last_reset', 'called_since_last_reset'),
    sa.Index('ix_vicidial_list_status', 'status'),
    sa.Index('ix_vicidial_list_gmt_offset_now', 'gmt_offset_now'),
    sa.Index('ix_vicidial_list_postal_code', 'postal_code'),
    sa.Index('ix_vicidial_list_last_local_call_time', 'last_local_call_time'),
    sa.Index('ix_vicidial_list_rank', 'rank'),
    sa.Index('ix_vicidial_list_owner', 'owner'),
    sa.Index('ix_vicidial_list_phone_list', 'phone_number', 'list_id'),
    sa.Index('ix_vicidial_list_list_phone', 'list_id', 'phone_number'),
    sa.Index('ix_vicidial_list_list_status', 'list_id', 'status'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_list_alt_phones = sa.Table(
    'vicidial_list_alt_phones',
    metadata,
    sa.Column('alt_phone_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True), nullable=False),
    sa.Column('phone_code', mysql.VARCHAR(10)),
    sa.Column('phone_number', mysql.VARCHAR(18)),
    sa.Column('alt_phone_note', mysql.VARCHAR(30)),
    sa.Column('alt_phone_count', mysql.SMALLINT(display_width=5, unsigned=True)),
    sa.Column('active', _enum('Y', 'N'), server_default='Y'),
    sa.Index('ix_vicidial_list_alt_phones_lead_id', 'lead_id'),
    sa.Index('ix_vicidial_list_alt_phones_phone_number', 'phone_number'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_lists = sa.Table(
    'vicidial_lists',
    metadata,
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True), primary_key=True, autoincrement=False),
    sa.Column('list_name', mysql.VARCHAR(30)),
    sa.Column('campaign_id', mysql.VARCHAR(8)),
    sa.Column('active', _enum('Y', 'N')),
    sa.Column('list_description', mysql.VARCHAR(255)),
    sa.Column('list_changedate', _datetime()),
    sa.Column('list_lastcalldate', _datetime()),
    sa.Column('reset_time', mysql.VARCHAR(100), server_default=''),
    sa.Column('agent_script_override', mysql.VARCHAR(20), server_default=''),
    sa.Column('campaign_cid_override', mysql.VARCHAR(20), server_default=''),
    sa.Column('am_message_exten_override', mysql.VARCHAR(100), server_default=''),
    sa.Column('drop_inbound_group_override', mysql.VARCHAR(20), server_default=''),
    sa.Column('xferconf_a_number', mysql.VARCHAR(50), server_default=''),
    sa.Column('xferconf_b_number', mysql.VARCHAR(50), server_default=''),
    sa.Column('xferconf_c_number', mysql.VARCHAR(50), server_default=''),
    sa.Column('xferconf_d_number', mysql.VARCHAR(50), server_default=''),
    sa.Column('xferconf_e_number', mysql.VARCHAR(50), server_default=''),
    sa.Column('web_form_address', mysql.TEXT()),
    sa.Column('web_form_address_two', mysql.TEXT()),
    sa.Column('time_zone_setting', _enum('COUNTRY_AND_AREA_CODE', 'POSTAL_CODE', 'NANPA_PREFIX', 'OWNER_TIME_ZONE_CODE'), server_default='COUNTRY_AND_AREA_CODE'),
    sa.Column('inventory_report', _enum('Y', 'N'), server_default='Y'),
    sa.Column('expiration_date', _date(), server_default='2099-12-31'),
    sa.Column('na_call_url', mysql.TEXT()),
    sa.Column('local_call_time', mysql.VARCHAR(10), server_default='campaign', nullable=False),
    sa.Column('web_form_address_three', mysql.TEXT()),
    sa.Column('status_group_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('user_new_lead_limit', mysql.SMALLINT(display_width=5), server_default='-1'),
    sa.Column('inbound_list_script_override', mysql.VARCHAR(20)),
    sa.Column('default_xfer_group', mysql.VARCHAR(20), server_default='---NONE---'),
    sa.Column('daily_reset_limit', mysql.SMALLINT(display_width=5), server_default='-1'),
    sa.Column('resets_today', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('auto_active_list_rank', mysql.SMALLINT(display_width=5), server_default='0'),
    sa.Column('cache_count', mysql.INTEGER(display_width=9, unsigned=True), server_default='0'),
    sa.Column('cache_count_new', mysql.INTEGER(display_width=9, unsigned=True), server_default='0'),
    sa.Column('cache_count_dialable_new', mysql.INTEGER(display_width=9, unsigned=True), server_default='0'),
    sa.Column('cache_date', _datetime()),
    sa.Column('inbound_drop_voicemail', mysql.VARCHAR(20)),
    sa.Column('inbound_after_hours_voicemail', mysql.VARCHAR(20)),
    sa.Column('qc_scorecard_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('qc_statuses_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('qc_web_form_address', mysql.VARCHAR(255), server_default=''),
    sa.Column('auto_alt_threshold', _int(mysql.TINYINT(display_width=3)), server_default='-1'),
    sa.Column('cid_group_id', mysql.VARCHAR(20), server_default='---DISABLED---'),
    sa.Column('dial_prefix', mysql.VARCHAR(20), server_default=''),
    sa.Column('weekday_resets_container', mysql.VARCHAR(40), server_default='DISABLED'),
    mysql_engine='MyISAM',
)

vicidial_lists_fields = sa.Table(
    'vicidial_lists_fields',
    metadata,
    sa.Column('field_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='0', nullable=False),
    sa.Column('field_label', mysql.VARCHAR(50)),
    sa.Column('field_name', mysql.VARCHAR(5000)),
    sa.Column('field_description', mysql.VARCHAR(100)),
    sa.Column('field_rank', mysql.SMALLINT(display_width=5)),
    sa.Column('field_help', mysql.VARCHAR(1000)),
    sa.Column('field_type', _enum('TEXT', 'AREA', 'SELECT', 'MULTI', 'RADIO', 'CHECKBOX', 'DATE', 'TIME', 'DISPLAY', 'SCRIPT', 'HIDDEN', 'READONLY', 'HIDEBLOB', 'SWITCH', 'SOURCESELECT', 'BUTTON'), server_default='TEXT'),
    sa.Column('field_options', mysql.VARCHAR(5000)),
    sa.Column('field_size', mysql.SMALLINT(display_width=5)),
    sa.Column('field_max', mysql.SMALLINT(display_width=5)),
    sa.Column('field_default', mysql.VARCHAR(255)),
    sa.Column('field_cost', mysql.SMALLINT(display_width=5)),
    sa.Column('field_required', _enum('Y', 'N', 'INBOUND_ONLY'), server_default='N'),
    sa.Column('name_position', _enum('LEFT', 'TOP'), server_default='LEFT'),
    sa.Column('multi_position', _enum('HORIZONTAL', 'VERTICAL'), server_default='HORIZONTAL'),
    sa.Column('field_order', mysql.SMALLINT(display_width=5), server_default='1'),
    sa.Column('field_encrypt', _enum('Y', 'N'), server_default='N'),
    sa.Column('field_show_hide', _enum('DISABLED', 'X_OUT_ALL', 'LAST_1', 'LAST_2', 'LAST_3', 'LAST_4', 'FIRST_1_LAST_4'), server_default='DISABLED'),
    sa.Column('field_duplicate', _enum('Y', 'N'), server_default='N'),
    sa.Index('ix_vicidial_lists_fields_listfield', 'list_id', 'field_label', unique=True),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_campaigns = sa.Table(
    'vicidial_campaigns',
    metadata,
    sa.Column('campaign_id', mysql.VARCHAR(8), primary_key=True, autoincrement=False),
    sa.Column('campaign_name', mysql.VARCHAR(40)),
    sa.Column('active', _enum('Y', 'N')),
    sa.Column('lead_order', mysql.VARCHAR(30)),
    sa.Column('hopper_level', mysql.INTEGER(display_width=8, unsigned=True), server_default='1'),
    sa.Column('local_call_time', mysql.VARCHAR(10), server_default='9am-9pm'),
    sa.Column('scheduled_callbacks', _enum('Y', 'N'), server_default='N'),
    sa.Column('lead_filter_id', mysql.VARCHAR(20), server_default='NONE'),
    sa.Column('use_internal_dnc', _enum('Y', 'N', 'AREACODE'), server_default='N'),
    sa.Column('dial_method', _enum('MANUAL', 'RATIO', 'ADAPT_HARD_LIMIT', 'ADAPT_TAPERED', 'ADAPT_AVERAGE', 'INBOUND_MAN', 'SHARED_RATIO', 'SHARED_ADAPT_HARD_LIMIT', 'SHARED_ADAPT_TAPERED', 'SHARED_ADAPT_AVERAGE'), server_default='MANUAL'),
    sa.Column('dial_statuses', mysql.VARCHAR(255), server_default=' NEW -'),
    sa.Column('list_order_mix', mysql.VARCHAR(20), server_default='DISABLED'),
    sa.Column('use_campaign_dnc', _enum('Y', 'N', 'AREACODE'), server_default='N'),
    sa.Column('no_hopper_dialing', _enum('Y', 'N'), server_default='N'),
    sa.Column('call_count_limit', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('user_group', mysql.VARCHAR(20), server_default='---ALL---'),
    sa.Column('hopper_vlc_dup_check', _enum('Y', 'N'), server_default='N'),
    sa.Column('use_other_campaign_dnc', mysql.VARCHAR(8), server_default=''),
    sa.Column('daily_call_count_limit', _int(mysql.TINYINT(display_width=3, unsigned=True)), server_default='0'),
    sa.Column('daily_phone_number_call_limit', _int(mysql.TINYINT(display_width=3, unsigned=True)), server_default='0'),
    sa.Column('call_limit_24hour_method', _enum('DISABLED', 'PHONE_NUMBER', 'LEAD'), server_default='DISABLED'),
    sa.Column('call_limit_24hour_scope', _enum('SYSTEM_WIDE', 'CAMPAIGN_LISTS'), server_default='SYSTEM_WIDE'),
    sa.Column('call_limit_24hour', _int(mysql.TINYINT(display_width=3, unsigned=True)), server_default='0'),
    sa.Column('hopper_hold_inserts', _enum('ENABLED', 'DISABLED', 'AUTONEXT'), server_default='DISABLED'),
    mysql_engine='MyISAM',
)

vicidial_hopper = sa.Table(
    'vicidial_hopper',
    metadata,
    sa.Column('hopper_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True), nullable=False),
    sa.Column('campaign_id', mysql.VARCHAR(8)),
    sa.Column('status', _enum('READY', 'QUEUE', 'INCALL', 'DONE', 'HOLD', 'DNC', 'RHOLD', 'RQUEUE'), server_default='READY'),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True), nullable=False),
    sa.Column('gmt_offset_now', _decimal(4, 2), server_default='0.00'),
    sa.Column('state', mysql.VARCHAR(2), server_default=''),
    sa.Column('alt_dial', mysql.VARCHAR(6), server_default='NONE'),
    sa.Column('priority', _int(mysql.TINYINT(display_width=2)), server_default='0'),
    sa.Column('source', mysql.VARCHAR(1), server_default=''),
    sa.Column('vendor_lead_code', mysql.VARCHAR(20), server_default=''),
    sa.Index('ix_vicidial_hopper_lead_id', 'lead_id'),
    mysql_engine='MEMORY',
    sqlite_autoincrement=True,
)

vicidial_callbacks = sa.Table(
    'vicidial_callbacks',
    metadata,
    sa.Column('callback_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True)),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True)),
    sa.Column('campaign_id', mysql.VARCHAR(8)),
    sa.Column('status', mysql.VARCHAR(10)),
    sa.Column('entry_time', _datetime()),
    sa.Column('callback_time', _datetime()),
    sa.Column('modify_date', _timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), info={'on_update_now': True}),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('recipient', _enum('USERONLY', 'ANYONE')),
    sa.Column('comments', mysql.VARCHAR(255)),
    sa.Column('user_group', mysql.VARCHAR(20)),
    sa.Column('lead_status', mysql.VARCHAR(6), server_default='CALLBK'),
    sa.Column('email_alert', _datetime()),
    sa.Column('email_result', _enum('SENT', 'FAILED', 'NOT AVAILABLE')),
    sa.Column('customer_timezone', mysql.VARCHAR(100), server_default=''),
    sa.Column('customer_timezone_diff', mysql.VARCHAR(6), server_default=''),
    sa.Column('customer_time', _datetime()),
    sa.Index('ix_vicidial_callbacks_lead_id', 'lead_id'),
    sa.Index('ix_vicidial_callbacks_status', 'status'),
    sa.Index('ix_vicidial_callbacks_callback_time', 'callback_time'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_dnc = sa.Table(
    'vicidial_dnc',
    metadata,
    sa.Column('phone_number', mysql.VARCHAR(18), primary_key=True, autoincrement=False),
    mysql_engine='MyISAM',
)

vicidial_campaign_dnc = sa.Table(
    'vicidial_campaign_dnc',
    metadata,
    sa.Column('phone_number', mysql.VARCHAR(18), nullable=False),
    sa.Column('campaign_id', mysql.VARCHAR(8), nullable=False),
    sa.Index('ix_vicidial_campaign_dnc_phone_number', 'phone_number'),
    sa.Index('ix_vicidial_campaign_dnc_phonecamp', 'phone_number', 'campaign_id', unique=True),
    mysql_engine='MyISAM',
)

vicidial_phone_codes = sa.Table(
    'vicidial_phone_codes',
    metadata,
    sa.Column('country_code', mysql.SMALLINT(display_width=5, unsigned=True)),
    sa.Column('country', mysql.CHAR(3)),
    sa.Column('areacode', mysql.CHAR(3)),
    sa.Column('state', mysql.VARCHAR(4)),
    sa.Column('GMT_offset', mysql.VARCHAR(6)),
    sa.Column('DST', _enum('Y', 'N')),
    sa.Column('DST_range', mysql.VARCHAR(8)),
    sa.Column('geographic_description', mysql.VARCHAR(100)),
    sa.Column('tz_code', mysql.VARCHAR(4), server_default=''),
    sa.Column('php_tz', mysql.VARCHAR(100), server_default=''),
    sa.Index('ix_vicidial_phone_codes_country_area_code', 'country_code', 'areacode'),
    sa.Index('ix_vicidial_phone_codes_country_state', 'country_code', 'state'),
    sa.Index('ix_vicidial_phone_codes_country_code', 'country_code'),
    mysql_engine='MyISAM',
)

vicidial_postal_codes = sa.Table(
    'vicidial_postal_codes',
    metadata,
    sa.Column('postal_code', mysql.VARCHAR(10), nullable=False),
    sa.Column('state', mysql.VARCHAR(4)),
    sa.Column('GMT_offset', mysql.VARCHAR(6)),
    sa.Column('DST', _enum('Y', 'N')),
    sa.Column('DST_range', mysql.VARCHAR(8)),
    sa.Column('country', mysql.CHAR(3)),
    sa.Column('country_code', mysql.SMALLINT(display_width=5, unsigned=True)),
    sa.Index('ix_vicidial_postal_codes_country_postal_code', 'country_code', 'postal_code'),
    mysql_engine='MyISAM',
)

vicidial_nanpa_prefix_codes = sa.Table(
    'vicidial_nanpa_prefix_codes',
    metadata,
    sa.Column('areacode', mysql.CHAR(3)),
    sa.Column('prefix', mysql.CHAR(3)),
    sa.Column('GMT_offset', mysql.VARCHAR(6)),
    sa.Column('DST', _enum('Y', 'N')),
    sa.Column('latitude', mysql.VARCHAR(17)),
    sa.Column('longitude', mysql.VARCHAR(17)),
    sa.Column('city', mysql.VARCHAR(50), server_default=''),
    sa.Column('state', mysql.VARCHAR(2), server_default=''),
    sa.Column('postal_code', mysql.VARCHAR(10), server_default=''),
    sa.Column('country', mysql.VARCHAR(2), server_default=''),
    sa.Column('lata_type', mysql.VARCHAR(1), server_default=''),
    sa.Index('ix_vicidial_nanpa_prefix_codes_areaprefix', 'areacode', 'prefix', unique=True),
    mysql_engine='MyISAM',
)

vicidial_call_times = sa.Table(
    'vicidial_call_times',
    metadata,
    sa.Column('call_time_id', mysql.VARCHAR(10), primary_key=True, autoincrement=False),
    sa.Column('call_time_name', mysql.VARCHAR(30), nullable=False),
    sa.Column('call_time_comments', mysql.VARCHAR(255), server_default=''),
    sa.Column('ct_default_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='900', nullable=False),
    sa.Column('ct_default_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='2100', nullable=False),
    sa.Column('ct_sunday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_sunday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_monday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_monday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_tuesday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_tuesday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_wednesday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_wednesday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_thursday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_thursday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_friday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_friday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_saturday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_saturday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('ct_state_call_times', mysql.TEXT()),
    sa.Column('default_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('sunday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('monday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('tuesday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('wednesday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('thursday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('friday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('saturday_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('user_group', mysql.VARCHAR(20), server_default='---ALL---'),
    sa.Column('ct_holidays', mysql.TEXT()),
    mysql_engine='MyISAM',
)

vicidial_state_call_times = sa.Table(
    'vicidial_state_call_times',
    metadata,
    sa.Column('state_call_time_id', mysql.VARCHAR(10), primary_key=True, autoincrement=False),
    sa.Column('state_call_time_state', mysql.VARCHAR(2), nullable=False),
    sa.Column('state_call_time_name', mysql.VARCHAR(30), nullable=False),
    sa.Column('state_call_time_comments', mysql.VARCHAR(255), server_default=''),
    sa.Column('sct_default_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='900', nullable=False),
    sa.Column('sct_default_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='2100', nullable=False),
    sa.Column('sct_sunday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_sunday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_monday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_monday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_tuesday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_tuesday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_wednesday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_wednesday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_thursday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_thursday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_friday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_friday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_saturday_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('sct_saturday_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='0'),
    sa.Column('user_group', mysql.VARCHAR(20), server_default='---ALL---'),
    sa.Column('ct_holidays', mysql.TEXT()),
    mysql_engine='MyISAM',
)

vicidial_call_time_holidays = sa.Table(
    'vicidial_call_time_holidays',
    metadata,
    sa.Column('holiday_id', mysql.VARCHAR(30), primary_key=True, autoincrement=False),
    sa.Column('holiday_name', mysql.VARCHAR(100), nullable=False),
    sa.Column('holiday_comments', mysql.VARCHAR(255), server_default=''),
    sa.Column('holiday_date', _date()),
    sa.Column('holiday_status', _enum('ACTIVE', 'INACTIVE', 'EXPIRED'), server_default='INACTIVE'),
    sa.Column('ct_default_start', mysql.SMALLINT(display_width=4, unsigned=True), server_default='900', nullable=False),
    sa.Column('ct_default_stop', mysql.SMALLINT(display_width=4, unsigned=True), server_default='2100', nullable=False),
    sa.Column('default_afterhours_filename_override', mysql.VARCHAR(255), server_default=''),
    sa.Column('user_group', mysql.VARCHAR(20), server_default='---ALL---'),
    sa.Column('holiday_method', mysql.VARCHAR(40), server_default='REPLACE'),
    mysql_engine='MyISAM',
)

vicidial_users = sa.Table(
    'vicidial_users',
    metadata,
    sa.Column('user_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('user', mysql.VARCHAR(20), nullable=False),
    sa.Column('pass', mysql.VARCHAR(100), nullable=False),
    sa.Column('full_name', mysql.VARCHAR(50)),
    sa.Column('user_level', _int(mysql.TINYINT(display_width=3, unsigned=True)), server_default='1'),
    sa.Column('user_group', mysql.VARCHAR(20)),
    sa.Column('load_leads', _enum('0', '1'), server_default='0'),
    sa.Column('modify_leads', _enum('0', '1', '2', '3', '4', '5', '6'), server_default='0'),
    sa.Column('modify_lists', _enum('0', '1'), server_default='0'),
    sa.Column('delete_lists', _enum('0', '1'), server_default='0'),
    sa.Column('modify_campaigns', _enum('0', '1'), server_default='0'),
    sa.Column('view_reports', _enum('0', '1'), server_default='0'),
    sa.Column('custom_fields_modify', _enum('0', '1'), server_default='0'),
    sa.Column('vdc_agent_api_access', _enum('0', '1'), server_default='0'),
    sa.Column('active', _enum('Y', 'N'), server_default='Y'),
    sa.Column('failed_login_count', _int(mysql.TINYINT(display_width=3, unsigned=True)), server_default='0'),
    sa.Column('last_login_date', _datetime(), server_default='2001-01-01 00:00:01'),
    sa.Column('last_ip', mysql.VARCHAR(15), server_default=''),
    sa.Column('pass_hash', mysql.VARCHAR(500), server_default=''),
    sa.Column('selected_language', mysql.VARCHAR(100), server_default='default English'),
    sa.Column('api_list_restrict', _enum('1', '0'), server_default='0'),
    sa.Column('api_allowed_functions', mysql.VARCHAR(1000), server_default=' ALL_FUNCTIONS '),
    sa.Column('api_only_user', _enum('0', '1'), server_default='0'),
    sa.Column('ignore_ip_list', _enum('1', '0'), server_default='0'),
    sa.Column('two_factor_override', _enum('NOT_ACTIVE', 'ENABLED', 'DISABLED'), server_default='NOT_ACTIVE'),
    sa.Column('failed_login_attempts_today', _int(mysql.MEDIUMINT(display_width=8, unsigned=True)), server_default='0'),
    sa.Column('failed_login_count_today', mysql.SMALLINT(display_width=6, unsigned=True), server_default='0'),
    sa.Column('failed_last_ip_today', mysql.VARCHAR(50), server_default=''),
    sa.Column('failed_last_type_today', mysql.VARCHAR(20), server_default=''),
    sa.Index('ix_vicidial_users_user', 'user', unique=True),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_user_groups = sa.Table(
    'vicidial_user_groups',
    metadata,
    sa.Column('user_group', mysql.VARCHAR(20), nullable=False),
    sa.Column('group_name', mysql.VARCHAR(40), nullable=False),
    sa.Column('allowed_campaigns', mysql.TEXT()),
    sa.Column('admin_ip_list', mysql.VARCHAR(30), server_default=''),
    sa.Column('api_ip_list', mysql.VARCHAR(30), server_default=''),
    mysql_engine='MyISAM',
)

system_settings = sa.Table(
    'system_settings',
    metadata,
    sa.Column('version', mysql.VARCHAR(50)),
    sa.Column('use_non_latin', _enum('0', '1'), server_default='0'),
    sa.Column('webroot_writable', _enum('0', '1'), server_default='1'),
    sa.Column('db_schema_version', mysql.INTEGER(display_width=8, unsigned=True), server_default='0'),
    sa.Column('custom_fields_enabled', _enum('0', '1'), server_default='0'),
    sa.Column('default_local_gmt', mysql.VARCHAR(6), server_default='-5.00'),
    sa.Column('pass_hash_enabled', _enum('0', '1'), server_default='0'),
    sa.Column('pass_key', mysql.VARCHAR(100), server_default=''),
    sa.Column('pass_cost', _int(mysql.TINYINT(display_width=2, unsigned=True)), server_default='2'),
    sa.Column('active_modules', mysql.TEXT()),
    sa.Column('web_loader_phone_length', mysql.VARCHAR(10), server_default='DISABLED'),
    sa.Column('allow_ip_lists', _enum('0', '1', '2'), server_default='0'),
    sa.Column('system_ip_blacklist', mysql.VARCHAR(30), server_default=''),
    sa.Column('timeclock_end_of_day', mysql.VARCHAR(4), server_default='0000'),
    sa.Column('expired_lists_inactive', _enum('0', '1'), server_default='0'),
    sa.Column('admin_web_directory', mysql.VARCHAR(255), server_default='vicidial'),
    sa.Column('sounds_web_server', mysql.VARCHAR(50), server_default='127.0.0.1'),
    sa.Column('enable_auto_reports', _enum('1', '0'), server_default='0'),
    sa.Column('enable_international_dncs', _enum('0', '1'), server_default='0'),
    sa.Column('web_loader_phone_strip', mysql.VARCHAR(10), server_default='DISABLED'),
    sa.Column('two_factor_auth_hours', mysql.SMALLINT(display_width=5), server_default='0'),
    sa.Column('two_factor_container', mysql.VARCHAR(40), server_default='---DISABLED---'),
    sa.Column('call_limit_24hour', _enum('0', '1'), server_default='0'),
    sa.Column('allow_web_debug', _enum('0', '1', '2', '3', '4', '5', '6'), server_default='0'),
    sa.Column('weekday_resets', _enum('0', '1', '2', '3', '4', '5', '6', '7'), server_default='0'),
    mysql_engine='MyISAM',
)

servers = sa.Table(
    'servers',
    metadata,
    sa.Column('server_id', mysql.VARCHAR(10), nullable=False),
    sa.Column('server_ip', mysql.VARCHAR(15), nullable=False),
    sa.Column('active', _enum('Y', 'N')),
    sa.Column('local_gmt', mysql.VARCHAR(6), server_default='-5.00'),
    sa.Index('ix_servers_server_id', 'server_id', unique=True),
    mysql_engine='MyISAM',
)

recording_log = sa.Table(
    'recording_log',
    metadata,
    sa.Column('recording_id', mysql.INTEGER(display_width=10, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('channel', mysql.VARCHAR(100)),
    sa.Column('server_ip', mysql.VARCHAR(15)),
    sa.Column('extension', mysql.VARCHAR(100)),
    sa.Column('start_time', _datetime()),
    sa.Column('start_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('end_time', _datetime()),
    sa.Column('end_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('length_in_sec', _int(mysql.MEDIUMINT(display_width=8, unsigned=True))),
    sa.Column('length_in_min', _double(8, 2)),
    sa.Column('filename', mysql.VARCHAR(100)),
    sa.Column('location', mysql.VARCHAR(255)),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True)),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('vicidial_id', mysql.VARCHAR(20)),
    sa.Index('ix_recording_log_filename', 'filename'),
    sa.Index('ix_recording_log_lead_id', 'lead_id'),
    sa.Index('ix_recording_log_user', 'user'),
    sa.Index('ix_recording_log_vicidial_id', 'vicidial_id'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_did_log = sa.Table(
    'vicidial_did_log',
    metadata,
    sa.Column('uniqueid', mysql.VARCHAR(20), nullable=False),
    sa.Column('channel', mysql.VARCHAR(100), nullable=False),
    sa.Column('server_ip', mysql.VARCHAR(15), nullable=False),
    sa.Column('caller_id_number', mysql.VARCHAR(18)),
    sa.Column('caller_id_name', mysql.VARCHAR(20)),
    sa.Column('extension', mysql.VARCHAR(100)),
    sa.Column('call_date', _datetime()),
    sa.Column('did_id', mysql.VARCHAR(9), server_default=''),
    sa.Column('did_route', mysql.VARCHAR(20), server_default=''),
    sa.Index('ix_vicidial_did_log_uniqueid', 'uniqueid'),
    sa.Index('ix_vicidial_did_log_caller_id_number', 'caller_id_number'),
    sa.Index('ix_vicidial_did_log_extension', 'extension'),
    sa.Index('ix_vicidial_did_log_call_date', 'call_date'),
    mysql_engine='MyISAM',
)

vicidial_log = sa.Table(
    'vicidial_log',
    metadata,
    sa.Column('uniqueid', mysql.VARCHAR(20), primary_key=True, autoincrement=False),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True), nullable=False),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True)),
    sa.Column('campaign_id', mysql.VARCHAR(8)),
    sa.Column('call_date', _datetime()),
    sa.Column('start_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('end_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('length_in_sec', mysql.INTEGER(display_width=10)),
    sa.Column('status', mysql.VARCHAR(6)),
    sa.Column('phone_code', mysql.VARCHAR(10)),
    sa.Column('phone_number', mysql.VARCHAR(18)),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('comments', mysql.VARCHAR(255)),
    sa.Column('processed', _enum('Y', 'N')),
    sa.Column('user_group', mysql.VARCHAR(20)),
    sa.Column('term_reason', _enum('CALLER', 'AGENT', 'QUEUETIMEOUT', 'ABANDON', 'AFTERHOURS', 'NONE', 'SYSTEM'), server_default='NONE'),
    sa.Column('alt_dial', mysql.VARCHAR(6), server_default='NONE'),
    sa.Column('called_count', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Index('ix_vicidial_log_lead_id', 'lead_id'),
    sa.Index('ix_vicidial_log_call_date', 'call_date'),
    mysql_engine='MyISAM',
)

vicidial_closer_log = sa.Table(
    'vicidial_closer_log',
    metadata,
    sa.Column('closecallid', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True), nullable=False),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True)),
    sa.Column('campaign_id', mysql.VARCHAR(20)),
    sa.Column('call_date', _datetime()),
    sa.Column('start_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('end_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('length_in_sec', mysql.INTEGER(display_width=10)),
    sa.Column('status', mysql.VARCHAR(6)),
    sa.Column('phone_code', mysql.VARCHAR(10)),
    sa.Column('phone_number', mysql.VARCHAR(18)),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('comments', mysql.VARCHAR(255)),
    sa.Column('processed', _enum('Y', 'N')),
    sa.Column('queue_seconds', _decimal(7, 2), server_default='0'),
    sa.Column('user_group', mysql.VARCHAR(20)),
    sa.Column('xfercallid', mysql.INTEGER(display_width=9, unsigned=True)),
    sa.Column('term_reason', _enum('CALLER', 'AGENT', 'QUEUETIMEOUT', 'ABANDON', 'AFTERHOURS', 'HOLDRECALLXFER', 'HOLDTIME', 'NOAGENT', 'NONE', 'MAXCALLS', 'ACFILTER', 'CLOSETIME'), server_default='NONE'),
    sa.Column('uniqueid', mysql.VARCHAR(20), server_default='', nullable=False),
    sa.Column('agent_only', mysql.VARCHAR(20), server_default=''),
    sa.Column('queue_position', mysql.SMALLINT(display_width=4, unsigned=True), server_default='1'),
    sa.Column('called_count', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Index('ix_vicidial_closer_log_lead_id', 'lead_id'),
    sa.Index('ix_vicidial_closer_log_call_date', 'call_date'),
    sa.Index('ix_vicidial_closer_log_campaign_id', 'campaign_id'),
    sa.Index('ix_vicidial_closer_log_uniqueid', 'uniqueid'),
    sa.Index('ix_vicidial_closer_log_phone_number', 'phone_number'),
    sa.Index('ix_vicidial_closer_log_date_user', 'call_date', 'user'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_agent_log = sa.Table(
    'vicidial_agent_log',
    metadata,
    sa.Column('agent_log_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('server_ip', mysql.VARCHAR(15), nullable=False),
    sa.Column('event_time', _datetime()),
    sa.Column('lead_id', mysql.INTEGER(display_width=9, unsigned=True)),
    sa.Column('campaign_id', mysql.VARCHAR(8)),
    sa.Column('pause_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('pause_sec', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('wait_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('wait_sec', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('talk_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('talk_sec', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('dispo_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('dispo_sec', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('status', mysql.VARCHAR(6)),
    sa.Column('user_group', mysql.VARCHAR(20)),
    sa.Column('comments', mysql.VARCHAR(20)),
    sa.Column('sub_status', mysql.VARCHAR(6)),
    sa.Column('dead_epoch', mysql.INTEGER(display_width=10, unsigned=True)),
    sa.Column('dead_sec', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('processed', _enum('Y', 'N'), server_default='N'),
    sa.Column('uniqueid', mysql.VARCHAR(20), server_default=''),
    sa.Column('pause_type', _enum('UNDEFINED', 'SYSTEM', 'AGENT', 'API', 'ADMIN'), server_default='UNDEFINED'),
    sa.Index('ix_vicidial_agent_log_lead_id', 'lead_id'),
    sa.Index('ix_vicidial_agent_log_user', 'user'),
    sa.Index('ix_vicidial_agent_log_event_time', 'event_time'),
    sa.Index('ix_vicidial_agent_log_time_user', 'event_time', 'user'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_inbound_dids = sa.Table(
    'vicidial_inbound_dids',
    metadata,
    sa.Column('did_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('did_pattern', mysql.VARCHAR(50), nullable=False),
    sa.Column('did_description', mysql.VARCHAR(50)),
    sa.Column('did_active', _enum('Y', 'N'), server_default='Y'),
    sa.Column('did_route', _enum('EXTEN', 'VOICEMAIL', 'AGENT', 'PHONE', 'IN_GROUP', 'CALLMENU', 'VMAIL_NO_INST'), server_default='EXTEN'),
    sa.Column('extension', mysql.VARCHAR(50), server_default='9998811112'),
    sa.Column('exten_context', mysql.VARCHAR(50), server_default='default'),
    sa.Column('voicemail_ext', mysql.VARCHAR(10)),
    sa.Column('phone', mysql.VARCHAR(100)),
    sa.Column('server_ip', mysql.VARCHAR(15)),
    sa.Column('user', mysql.VARCHAR(20)),
    sa.Column('user_unavailable_action', _enum('IN_GROUP', 'EXTEN', 'VOICEMAIL', 'PHONE', 'VMAIL_NO_INST'), server_default='VOICEMAIL'),
    sa.Column('user_route_settings_ingroup', mysql.VARCHAR(20), server_default='AGENTDIRECT'),
    sa.Column('group_id', mysql.VARCHAR(20)),
    sa.Column('call_handle_method', mysql.VARCHAR(40), server_default='CID'),
    sa.Column('agent_search_method', _enum('LO', 'LB', 'SO'), server_default='LB'),
    sa.Column('list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='999'),
    sa.Column('campaign_id', mysql.VARCHAR(8)),
    sa.Column('phone_code', mysql.VARCHAR(10), server_default='1'),
    sa.Column('menu_id', mysql.VARCHAR(50), server_default=''),
    sa.Column('record_call', _enum('Y', 'N', 'Y_QUEUESTOP'), server_default='N'),
    sa.Column('filter_inbound_number', _enum('DISABLED', 'GROUP', 'URL', 'DNC_INTERNAL', 'DNC_CAMPAIGN', 'GROUP_AREACODE'), server_default='DISABLED'),
    sa.Column('filter_phone_group_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('filter_url', mysql.VARCHAR(1000), server_default=''),
    sa.Column('filter_action', _enum('EXTEN', 'VOICEMAIL', 'AGENT', 'PHONE', 'IN_GROUP', 'CALLMENU', 'VMAIL_NO_INST'), server_default='EXTEN'),
    sa.Column('filter_extension', mysql.VARCHAR(50), server_default='9998811112'),
    sa.Column('filter_exten_context', mysql.VARCHAR(50), server_default='default'),
    sa.Column('filter_voicemail_ext', mysql.VARCHAR(10)),
    sa.Column('filter_phone', mysql.VARCHAR(100)),
    sa.Column('filter_server_ip', mysql.VARCHAR(15)),
    sa.Column('filter_user', mysql.VARCHAR(20)),
    sa.Column('filter_user_unavailable_action', _enum('IN_GROUP', 'EXTEN', 'VOICEMAIL', 'PHONE', 'VMAIL_NO_INST'), server_default='VOICEMAIL'),
    sa.Column('filter_user_route_settings_ingroup', mysql.VARCHAR(20), server_default='AGENTDIRECT'),
    sa.Column('filter_group_id', mysql.VARCHAR(20)),
    sa.Column('filter_call_handle_method', mysql.VARCHAR(40), server_default='CID'),
    sa.Column('filter_agent_search_method', _enum('LO', 'LB', 'SO'), server_default='LB'),
    sa.Column('filter_list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='999'),
    sa.Column('filter_campaign_id', mysql.VARCHAR(8)),
    sa.Column('filter_phone_code', mysql.VARCHAR(10), server_default='1'),
    sa.Column('filter_menu_id', mysql.VARCHAR(50), server_default=''),
    sa.Column('filter_clean_cid_number', mysql.VARCHAR(20), server_default=''),
    sa.Column('custom_one', mysql.VARCHAR(100), server_default=''),
    sa.Column('custom_two', mysql.VARCHAR(100), server_default=''),
    sa.Column('custom_three', mysql.VARCHAR(100), server_default=''),
    sa.Column('custom_four', mysql.VARCHAR(100), server_default=''),
    sa.Column('custom_five', mysql.VARCHAR(100), server_default=''),
    sa.Column('user_group', mysql.VARCHAR(20), server_default='---ALL---'),
    sa.Column('filter_dnc_campaign', mysql.VARCHAR(8), server_default=''),
    sa.Column('filter_url_did_redirect', _enum('Y', 'N'), server_default='N'),
    sa.Column('no_agent_ingroup_redirect', _enum('DISABLED', 'Y', 'NO_PAUSED', 'READY_ONLY'), server_default='DISABLED'),
    sa.Column('no_agent_ingroup_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('no_agent_ingroup_extension', mysql.VARCHAR(50), server_default='9998811112'),
    sa.Column('pre_filter_phone_group_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('pre_filter_extension', mysql.VARCHAR(50), server_default=''),
    sa.Column('entry_list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='0'),
    sa.Column('filter_entry_list_id', mysql.BIGINT(display_width=14, unsigned=True), server_default='0'),
    sa.Column('max_queue_ingroup_calls', mysql.SMALLINT(display_width=5), server_default='0'),
    sa.Column('max_queue_ingroup_id', mysql.VARCHAR(20), server_default=''),
    sa.Column('max_queue_ingroup_extension', mysql.VARCHAR(50), server_default='9998811112'),
    sa.Column('did_carrier_description', mysql.VARCHAR(255), server_default=''),
    sa.Column('inbound_route_answer', _enum('Y', 'N'), server_default='Y'),
    sa.Column('pre_filter_recent_call', mysql.VARCHAR(20), server_default=''),
    sa.Column('pre_filter_recent_extension', mysql.VARCHAR(50), server_default=''),
    sa.Index('ix_vicidial_inbound_dids_did_pattern', 'did_pattern', unique=True),
    sa.Index('ix_vicidial_inbound_dids_group_id', 'group_id'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_api_log = sa.Table(
    'vicidial_api_log',
    metadata,
    sa.Column('api_id', mysql.INTEGER(display_width=9, unsigned=True), autoincrement=True, primary_key=True),
    sa.Column('user', mysql.VARCHAR(20), nullable=False),
    sa.Column('api_date', _datetime()),
    sa.Column('api_script', mysql.VARCHAR(10)),
    sa.Column('function', mysql.VARCHAR(20), nullable=False),
    sa.Column('agent_user', mysql.VARCHAR(20)),
    sa.Column('value', mysql.VARCHAR(255)),
    sa.Column('result', mysql.VARCHAR(10)),
    sa.Column('result_reason', mysql.VARCHAR(255)),
    sa.Column('source', mysql.VARCHAR(20)),
    sa.Column('data', mysql.TEXT()),
    sa.Column('run_time', mysql.VARCHAR(20), server_default='0'),
    sa.Column('webserver', mysql.SMALLINT(display_width=5, unsigned=True), server_default='0'),
    sa.Column('api_url', mysql.INTEGER(display_width=9, unsigned=True), server_default='0'),
    sa.Index('ix_vicidial_api_log_api_date', 'api_date'),
    mysql_engine='MyISAM',
    sqlite_autoincrement=True,
)

vicidial_ip_list_entries = sa.Table(
    'vicidial_ip_list_entries',
    metadata,
    sa.Column('ip_list_id', mysql.VARCHAR(30), nullable=False),
    sa.Column('ip_address', mysql.VARCHAR(45), nullable=False),
    sa.Index('ix_vicidial_ip_list_entries_ip_list_id', 'ip_list_id'),
    sa.Index('ix_vicidial_ip_list_entries_ip_address', 'ip_address'),
    mysql_engine='MyISAM',
)

vicidial_two_factor_auth = sa.Table(
    'vicidial_two_factor_auth',
    metadata,
    sa.Column('auth_date', _datetime()),
    sa.Column('auth_exp_date', _datetime()),
    sa.Column('user', mysql.VARCHAR(20), server_default=''),
    sa.Column('auth_stage', _enum('0', '1', '2', '3', '4', '5', '6'), server_default='0'),
    sa.Column('auth_code', mysql.VARCHAR(20), server_default=''),
    sa.Column('auth_code_exp_date', _datetime()),
    sa.Column('auth_method', mysql.VARCHAR(20), server_default='EMAIL'),
    sa.Column('auth_attempts', mysql.SMALLINT(display_width=5), server_default='0'),
    sa.Index('ix_vicidial_two_factor_auth_auth_date', 'auth_date'),
    sa.Index('ix_vicidial_two_factor_auth_auth_exp_date', 'auth_exp_date'),
    sa.Index('ix_vicidial_two_factor_auth_user', 'user'),
    mysql_engine='MyISAM',
)

vicidial_settings_containers = sa.Table(
    'vicidial_settings_containers',
    metadata,
    sa.Column('container_id', mysql.VARCHAR(40), primary_key=True, autoincrement=False),
    sa.Column('container_notes', mysql.VARCHAR(255), server_default=''),
    sa.Column('container_type', mysql.VARCHAR(40), server_default='OTHER'),
    sa.Column('user_group', mysql.VARCHAR(20), server_default='---ALL---'),
    sa.Column('container_entry', sa.Text().with_variant(mysql.MEDIUMTEXT(), *_MYSQL)),
    mysql_engine='MyISAM',
)

vicidial_callbacks_archive = sa.Table(
    "vicidial_callbacks_archive",
    metadata,
    *[
        sa.Column(
            c.name,
            c.type,
            primary_key=c.primary_key,
            autoincrement=False,
            nullable=c.nullable,
            server_default=c.server_default,
        )
        for c in vicidial_callbacks.columns
    ],
    sa.Index("ix_vicidial_callbacks_archive_lead_id", "lead_id"),
    sa.Index("ix_vicidial_callbacks_archive_status", "status"),
    sa.Index("ix_vicidial_callbacks_archive_callback_time", "callback_time"),
    mysql_engine="MyISAM",
)


def custom_table(list_id: int, columns: list[sa.Column[Any]], meta: sa.MetaData | None = None) -> sa.Table:
    """Describe the `custom_<list_id>` table of a list with the given field columns.

    The table is never created by leadpipe on a VICIdial database; callers reflect the real one or
    build a description from `vicidial_lists_fields` (tests and the embedded database).
    """
    return sa.Table(
        f"{CUSTOM_TABLE_PREFIX}{int(list_id)}",
        meta if meta is not None else sa.MetaData(),
        sa.Column("lead_id", mysql.INTEGER(display_width=9, unsigned=True), primary_key=True,
                  autoincrement=False),
        *columns,
    )
