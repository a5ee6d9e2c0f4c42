/**
 * The policy pack's platform sections in Simplified Chinese: key names (`pk.<key>`, or
 * `pk.<parent>.<key>` where the same key means something else elsewhere), units of numbers
 * (`pku.*`) and enum codes (`pv.<key>.<code>`). Modules name their own sections beside their pages.
 * test/i18n-codes.test.ts fails when a key of the pack schema has no name.
 */
export const policyKeysZhCN = {
  'pk.meta': '基本信息',
  'pk.name': '名称',
  'pk.description': '说明',
  'pk.sources': '制度来源',
  'pk.security': '安全',
  'pk.password': '密码规则',
  'pk.minLength': '最短长度',
  'pk.minClasses': '至少包含的字符类别',
  'pk.lockout': '登录锁定',
  'pk.maxFailures': '连续失败次数上限',
  'pk.windowMinutes': '统计时段',
  'pk.lockMinutes': '锁定时长',
  'pk.session': '登录会话',
  'pk.idleTimeoutMinutes': '空闲超时',
  'pk.bearerTokenHours': '接口令牌有效期',
  'pk.loginRateLimitPerMinute': '每个地址每分钟登录尝试上限',
  'pk.audit': '审计',
  'pk.retentionDays': '保存期限',
  'pk.files': '附件与文件',
  'pk.grid': '网格',
  'pk.regular': '常规型网格标准',
  'pk.maxMigrantShare': '流动人口占实有人口比例上限',
  'pk.maxRentalShare': '出租房屋占房屋比例上限',
  'pk.combine': '判定方式',
  'pk.sizeHint': '常规型网格规模建议',
  'pk.rentals': '出租房屋',
  'pk.migrants': '流动人口',

  'pku.minLength': '位',
  'pku.minClasses': '类（大写、小写、数字、符号中）',
  'pku.maxFailures': '次',
  'pku.windowMinutes': '分钟',
  'pku.lockMinutes': '分钟',
  'pku.idleTimeoutMinutes': '分钟',
  'pku.bearerTokenHours': '小时',
  'pku.loginRateLimitPerMinute': '次',
  'pku.retentionDays': '天',
  'pku.rentals': '户',
  'pku.migrants': '人',

  'pv.combine.or': '满足其一即为常规型',
  'pv.combine.and': '同时满足才为常规型',

  'policy.unit.yuan': '元',
  'policy.record.code': '代码 {code}',
} as const;

export type PolicyKeyKey = keyof typeof policyKeysZhCN;
